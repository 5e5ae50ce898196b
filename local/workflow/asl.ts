/** The Amazon States Language, as far as the local runner and the rehearsal read it. */
export type AslDefinition = { StartAt: string; States: Record<string, AslState> };
export type AslState = { Type: string; Resource?: string; Parameters?: Record<string, unknown>; [field: string]: unknown };

/** Every state, those inside Map states (their ItemProcessor) included: the local runner finds them by name too. */
export function allStates(definition: AslDefinition): Array<[string, AslState]> {
  return Object.entries(definition.States).flatMap(([name, state]) => [
    [name, state] as [string, AslState],
    ...(state.ItemProcessor ? allStates(state.ItemProcessor as AslDefinition) : []),
  ]);
}
