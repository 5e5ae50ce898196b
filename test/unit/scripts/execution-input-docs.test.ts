import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ENGINE_FIELDS, migrationInputSchema } from '../../../functions/shared/migration-input';
import { waveInputSchema } from '../../../functions/shared/wave-input';
import { EXECUTION_INPUT_SCHEMA_PATH, WAVE_INPUT_SCHEMA_PATH, executionInputJsonSchema, waveInputJsonSchema } from '../../../scripts/docs-schema';

const DOCS = readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'execution-input.md'), 'utf8');

type JsonSchemaProperty = { properties?: Record<string, JsonSchemaProperty>; default?: unknown };

/** Every field without sub-fields, by dotted path (`cutover.maxCdcLatencySeconds`), with its schema. */
function leafFields(schema: JsonSchemaProperty, prefix = ''): Array<[string, JsonSchemaProperty]> {
  return Object.entries(schema.properties ?? {}).flatMap(([name, property]): Array<[string, JsonSchemaProperty]> =>
    property.properties ? leafFields(property, `${prefix}${name}.`) : [[`${prefix}${name}`, property]],
  );
}

const valueAt = (object: unknown, dottedPath: string) =>
  dottedPath.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], object);

describe('docs/execution-input', () => {
  const schema = JSON.parse(executionInputJsonSchema()) as JsonSchemaProperty;

  it('ships the JSON Schema generated from the execution input schema (run npm run docs:schema when this fails)', () => {
    expect(readFileSync(EXECUTION_INPUT_SCHEMA_PATH, 'utf8')).toBe(executionInputJsonSchema());
  });

  it('shows a complete example, every field a person sets (of its engine), that the workflow accepts as it is', () => {
    const [, exampleText] = /```json\n([\s\S]*?)\n```/.exec(DOCS) ?? [];
    const example = JSON.parse(exampleText) as unknown;
    expect(migrationInputSchema.safeParse(example).error?.issues).toBeUndefined();
    const otherEngine: readonly string[] = ENGINE_FIELDS.serverless;
    // A wave's execution sets `wave` on the runs it starts; a person never does.
    const setByAWave = (field: string) => field.startsWith('wave.');
    expect(leafFields(schema).filter(([field]) => !otherEngine.includes(field) && !setByAWave(field) && valueAt(example, field) === undefined)).toEqual([]);
  });

  it('shows the serverless input too, which the workflow accepts as it is', () => {
    const examples = [...DOCS.matchAll(/```json\n([\s\S]*?)\n```/g)].map(([, text]) => JSON.parse(text) as Record<string, unknown>);
    const serverless = examples.find((example) => 'replicationConfigArn' in example);
    expect(migrationInputSchema.safeParse(serverless).error?.issues).toBeUndefined();
  });

  it('documents every field of the input, with the default the schema applies', () => {
    const rows = leafFields(schema).map(([field, property]) =>
      property.default === undefined ? `| \`${field}\` |` : `| \`${field}\` | no | \`${String(property.default)}\` |`,
    );
    expect(rows.filter((row) => !DOCS.includes(row))).toEqual([]);
  });
});

describe('docs/execution-input: a wave’s input', () => {
  const schema = JSON.parse(waveInputJsonSchema()) as JsonSchemaProperty;
  const section = DOCS.slice(DOCS.indexOf("## A wave's input"), DOCS.indexOf('## JSON Schema'));

  it('ships the JSON Schema generated from the wave input schema (run npm run docs:schema when this fails)', () => {
    expect(readFileSync(WAVE_INPUT_SCHEMA_PATH, 'utf8')).toBe(waveInputJsonSchema());
  });

  it('documents every field of a wave, with the default the schema applies, and an example that sets each one', () => {
    const rows = leafFields(schema).map(([field, property]) =>
      property.default === undefined ? `| \`${field}\` |` : `| \`${field}\` | no | \`${String(property.default)}\` |`,
    );
    expect(rows.filter((row) => !section.includes(row))).toEqual([]);
    const [, exampleText] = /```json\n([\s\S]*?)\n```/.exec(section) ?? [];
    const example = JSON.parse(exampleText) as Record<string, unknown>;
    expect(leafFields(schema).map(([field]) => field).filter((field) => !(field in example))).toEqual([]);
    // The shape a person writes; each migration's input is checked as its own execution's when the wave starts.
    expect(waveInputSchema.safeParse(example).error?.issues).toBeUndefined();
  });
});
