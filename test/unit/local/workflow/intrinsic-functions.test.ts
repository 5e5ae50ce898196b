import { executeLocally } from '../../../../local/workflow/execute';
import type { AslDefinition } from '../../../../local/workflow/asl';

/** What States.Format yields when the workflow runs locally, for a template and the execution input. */
async function formatted(template: string, args: string[], input: Record<string, unknown>): Promise<unknown> {
  const definition = {
    StartAt: 'Format',
    States: { Format: { Type: 'Pass', Parameters: { 'text.$': `States.Format('${template}', ${args.join(', ')})` }, End: true } },
  } as unknown as AslDefinition;
  const execution = await executeLocally(definition, {}, input, { executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:local:format', waitMilliseconds: 0, retryIntervalMilliseconds: 0 });
  return (execution.output as { text?: unknown } | undefined)?.text;
}

describe('intrinsic functions in the local runner, as Step Functions evaluates them', () => {
  it('leaves a value read from a path as it is: a Lambda error cause stays JSON', async () => {
    const cause = JSON.stringify({ errorType: 'ConnectionTestFailed', errorMessage: 'Can\'t connect (110 "Connection timed out") to C:\\db', trace: [] });
    const text = await formatted('{}{}', ['$.headline', '$.cause'], { headline: 'The source is writable again.\n', cause });
    expect(text).toBe(`The source is writable again.\n${cause}`);
    expect(JSON.parse(String(text).split('\n')[1])).toMatchObject({ errorMessage: 'Can\'t connect (110 "Connection timed out") to C:\\db' });
  });

  it('undoes the escapes of the template literal itself', async () => {
    await expect(formatted('\\{\\} of {}', ['$.name'], { name: 'orders' })).resolves.toBe('{} of orders');
  });
});
