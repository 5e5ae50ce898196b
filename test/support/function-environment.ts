import type { FunctionEnvironment } from '../../functions/shared/environment';

/**
 * Gives the handlers under test the environment the stack would give them. Typed by the shared names, so a
 * renamed variable fails to compile here instead of leaving a test setting a name no handler reads.
 */
export function setFunctionEnvironment(environment: FunctionEnvironment): void {
  Object.assign(process.env, environment);
}
