import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from './errors';

/**
 * The approval-link signing key, read from Secrets Manager once per container: the key only changes when
 * the secret is rotated, and a rotation invalidates pending links, which then simply ask for a new request.
 * A failed or empty read is not cached, so the next invocation tries again.
 */
export function signingKeyLoader(secretsManager: SecretsManagerClient, secretArn: string): () => Promise<string> {
  let signingKey: Promise<string> | undefined;
  return () => {
    signingKey ??= secretsManager
      .send(new GetSecretValueCommand({ SecretId: secretArn }))
      .then((secret) => {
        if (!secret.SecretString) throw new ConfigurationError('The approval signing key secret has no string value');
        return secret.SecretString;
      })
      .catch((error: unknown) => {
        signingKey = undefined;
        throw error;
      });
    return signingKey;
  };
}
