import type { StreamDecoder } from './tokenizer.js';

/**
 * Streams the UTF-8 bytes of successive pieces as text. TextDecoder's streaming mode holds back a partial
 * multi-byte character until its last byte arrives and treats invalid bytes exactly as a one-shot decode
 * of the same bytes would, so the deltas always concatenate to the whole decoded text.
 */
export class Utf8StreamDecoder implements StreamDecoder {
  private readonly utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

  constructor(private readonly pieceBytes: (id: number) => Uint8Array) {}

  push(id: number): string {
    return this.utf8.decode(this.pieceBytes(id), { stream: true });
  }

  flush(): string {
    return this.utf8.decode();
  }
}
