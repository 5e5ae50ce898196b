import { TextDecoder } from 'node:util';

/**
 * Stands in for iconv-lite in the function bundles (aliased in infra/bundling.ts): ~480 KB of code tables that
 * mysql2 reaches only for a charset Node's Buffer cannot decode (lib/parsers/string.js tries
 * `Buffer.isEncoding` first). Our sessions are utf8mb4 (mysql2's "utf8"), so text arrives as UTF-8 whatever
 * the column's own charset (the server converts to character_set_results) and binary columns arrive as
 * Buffers. Decoding falls back to the TextDecoder built into Node (full ICU: windows-125x, GBK, Shift_JIS,
 * EUC-KR, Big5, ...); anything else, and any encoding other than Buffer's own, is a clear error instead of
 * silently wrong text.
 */
export interface StreamCoder<Input, Output> {
  write(input: Input): Output;
  end(): Output | undefined;
}

export function getDecoder(encoding: string): StreamCoder<Uint8Array, string> {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(encoding);
  } catch {
    throw new Error(unsupported('decode', encoding));
  }
  return {
    write: (bytes) => decoder.decode(bytes, { stream: true }),
    end: () => decoder.decode() || undefined,
  };
}

/** Node encodes only Buffer's own encodings, which mysql2 handles before it would call this. */
export function getEncoder(encoding: string): StreamCoder<string, Buffer> {
  throw new Error(unsupported('encode', encoding));
}

function unsupported(direction: 'decode' | 'encode', encoding: string): string {
  return `Cannot ${direction} MySQL text in the "${encoding}" encoding: the function bundle leaves out iconv-lite and sessions are expected to use utf8mb4`;
}
