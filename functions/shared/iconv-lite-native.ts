import { TextDecoder } from 'node:util';

/**
 * Stands in for iconv-lite in the function bundles (aliased in infra/bundling.ts): ~480 KB of code tables that
 * mysql2 reaches only for a charset Node's Buffer cannot decode (lib/parsers/string.js tries
 * `Buffer.isEncoding` first). Our sessions are utf8mb4 (mysql2's "utf8"), so text arrives as UTF-8 whatever
 * the column's own charset (the server converts to character_set_results) and binary columns arrive as
 * Buffers; the handshake's server version is read as CESU-8 on every connection, so that is decoded here.
 * Other charsets fall back to the TextDecoder built into Node (full ICU: windows-125x, latin2, GBK,
 * Shift_JIS, EUC-KR, Big5, ...); anything else, and any encoding other than Buffer's own, is a clear error
 * instead of silently wrong text.
 */
export interface StreamCoder<Input, Output> {
  write(input: Input): Output;
  end(): Output | undefined;
}

export function getDecoder(encoding: string): StreamCoder<Uint8Array, string> {
  if (encoding === 'cesu8') return cesu8Decoder();
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

/**
 * mysql2 reads the server version in the handshake, and utf8mb3 text, as CESU-8: UTF-8 except that a
 * character beyond U+FFFF comes as two 3-byte surrogates (0xED 0xA0-0xBF ...). Those are decoded to the
 * UTF-16 code units they stand for; everything else is plain UTF-8.
 */
function cesu8Decoder(): StreamCoder<Uint8Array, string> {
  const utf8 = new TextDecoder('utf-8');
  let pending = Buffer.alloc(0);
  return {
    write(bytes) {
      const input = Buffer.concat([pending, bytes]);
      let text = '';
      let plainFrom = 0;
      let index = 0;
      for (; index + 2 < input.length; index += 1) {
        if (input[index] === 0xed && input[index + 1] >= 0xa0) {
          text += utf8.decode(input.subarray(plainFrom, index)) + String.fromCharCode(0xd000 | ((input[index + 1] & 0x3f) << 6) | (input[index + 2] & 0x3f));
          index += 2;
          plainFrom = index + 1;
        }
      }
      // A surrogate split across writes: keep its first bytes for the next one.
      const splitAt = input.subarray(Math.max(plainFrom, input.length - 2)).indexOf(0xed);
      const keepFrom = splitAt >= 0 ? Math.max(plainFrom, input.length - 2) + splitAt : input.length;
      pending = input.subarray(keepFrom);
      return text + utf8.decode(input.subarray(plainFrom, keepFrom), { stream: true });
    },
    end() {
      const rest = utf8.decode(pending) + utf8.decode();
      pending = Buffer.alloc(0);
      return rest || undefined;
    },
  };
}

/** Node encodes only Buffer's own encodings, which mysql2 handles before it would call this. */
export function getEncoder(encoding: string): StreamCoder<string, Buffer> {
  throw new Error(unsupported('encode', encoding));
}

function unsupported(direction: 'decode' | 'encode', encoding: string): string {
  return `Cannot ${direction} MySQL text in the "${encoding}" encoding: the function bundle leaves out iconv-lite and sessions are expected to use utf8mb4`;
}
