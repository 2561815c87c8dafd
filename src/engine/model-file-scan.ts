/**
 * Whether a .onnx file names an operator, read from the file's bytes without decoding it: op types are plain
 * strings in the protobuf, and a model with external data keeps only its graph in the file.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const CHUNK_BYTES = 16 * 2 ** 20;

export function modelFileMentions(path: string, text: string): boolean {
  const needle = Buffer.from(text, 'utf8');
  const buffer = Buffer.alloc(CHUNK_BYTES + needle.length);
  const fd = openSync(path, 'r');
  try {
    // Each chunk is read after the previous one's last needle.length − 1 bytes, so no match is split.
    let kept = 0;
    for (;;) {
      const read = readSync(fd, buffer, kept, CHUNK_BYTES, null);
      if (read === 0) return false;
      const filled = kept + read;
      if (buffer.subarray(0, filled).includes(needle)) return true;
      kept = Math.min(needle.length - 1, filled);
      buffer.copy(buffer, 0, filled - kept, filled);
    }
  } finally {
    closeSync(fd);
  }
}
