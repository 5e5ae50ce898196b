import { ConfigurationError } from './errors';

/** Reads a required environment variable once, at handler module load; the cores never read process.env. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new ConfigurationError(`Environment variable ${name} is not set`);
  return value;
}
