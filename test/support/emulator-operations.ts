import { AwsServiceError } from '../../local/emulator/protocols';

/** An SDK error class as the clients model it: constructed from its message, metadata and modelled members. */
type ModelledException = new (options: { message: string; $metadata: { httpStatusCode?: number } } & Record<string, unknown>) => Error;

/**
 * Answers a mocked SDK command with the local emulator's own operation, so the workflow tests' fakes and the
 * rehearsal's emulator are one implementation. The operation's AwsServiceError becomes the SDK's modelled
 * exception class when one is given (the functions test `instanceof ConditionalCheckFailedException`), and
 * otherwise an error named by its code, as the SDK reports an unmodelled error. Query-protocol operations
 * (RDS, SNS) read their flat parameters, which is what a command's input is when it has only scalar members.
 */
export function answeredByEmulator<Input>(operation: (input: Input) => unknown, exceptions: Record<string, ModelledException> = {}) {
  // `never`: the emulator answers with the service's response shape, which the mock cannot check statically.
  return async (input: object): Promise<never> => {
    try {
      return (await operation(input as Input)) as never;
    } catch (error) {
      if (!(error instanceof AwsServiceError)) throw error;
      throw asSdkError(error, exceptions);
    }
  };
}

/** The error the SDK raises for a service's error answer: its modelled exception, or an error named by the code. */
export function asSdkError(error: AwsServiceError, exceptions: Record<string, ModelledException> = {}): Error {
  const $metadata = { httpStatusCode: error.statusCode };
  const Exception = exceptions[error.code];
  if (Exception) return new Exception({ message: error.message, $metadata, ...error.fields });
  return Object.assign(new Error(error.message), { name: error.code, $fault: error.statusCode >= 500 ? 'server' : 'client', $metadata });
}
