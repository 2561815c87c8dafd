/**
 * Reads safetensors files, Hugging Face's weight format: an unsigned 64-bit little-endian header length, a
 * JSON header giving each tensor's dtype, shape and byte range (relative to the end of the header), then the
 * tensors' bytes back to back. Only the header is read on opening; each tensor is read alone from its byte
 * range when asked for, so a checkpoint far larger than memory can be converted.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { float16ToFloat32 } from '../engine/float16.js';
import { ModelInputError } from './model-input-error.js';

/** Bytes per element of every dtype the format defines. */
const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
};

/** The dtypes a float weight may be stored in that this reader turns into float32. */
export const FLOAT_DTYPES = ['F32', 'F16', 'BF16'] as const;
export type FloatDtype = (typeof FLOAT_DTYPES)[number];

export const isFloatDtype = (dtype: string): dtype is FloatDtype =>
  (FLOAT_DTYPES as readonly string[]).includes(dtype);

export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  /** Absolute byte offsets in the file: [begin, end). */
  begin: number;
  end: number;
}

/** A JSON header larger than this is corrupt (real headers are well under a megabyte). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function parseHeader(path: string, json: string, dataStart: number): Map<string, SafetensorsEntry> {
  let header: unknown;
  try {
    header = JSON.parse(json);
  } catch (err) {
    throw new ModelInputError(`${path}: the safetensors header is not JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new ModelInputError(`${path}: the safetensors header is not a JSON object`);
  }
  const entries = new Map<string, SafetensorsEntry>();
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: offsets } = (value ?? {}) as Record<string, unknown>;
    if (
      typeof dtype !== 'string' ||
      !Array.isArray(shape) ||
      !shape.every(isCount) ||
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every(isCount) ||
      offsets[1] < offsets[0]
    ) {
      throw new ModelInputError(
        `${path}: tensor ${name} has a malformed header entry ${JSON.stringify(value)}`,
      );
    }
    const elementBytes = DTYPE_BYTES[dtype];
    const length = offsets[1] - offsets[0];
    const expected = elementBytes === undefined ? length : shape.reduce((a, b) => a * b, 1) * elementBytes;
    if (length !== expected) {
      throw new ModelInputError(
        `${path}: tensor ${name} (${dtype} [${shape.join(', ')}]) spans ${length} bytes, expected ${expected}`,
      );
    }
    entries.set(name, { dtype, shape, begin: dataStart + offsets[0], end: dataStart + offsets[1] });
  }
  return entries;
}

export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private fd: number | undefined,
    readonly tensors: ReadonlyMap<string, SafetensorsEntry>,
  ) {}

  /** Opens `path` and checks its header, including that the file holds every byte the header promises. */
  static open(path: string): SafetensorsFile {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const lengthBytes = Buffer.alloc(8);
      if (readSync(fd, lengthBytes, 0, 8, 0) < 8) {
        throw new ModelInputError(
          `${path} is truncated: ${size} bytes, not even a safetensors header length`,
        );
      }
      const headerLength = lengthBytes.readBigUInt64LE(0);
      if (headerLength > BigInt(MAX_HEADER_BYTES)) {
        throw new ModelInputError(
          `${path} is not a safetensors file: its header length reads ${headerLength}`,
        );
      }
      const dataStart = 8 + Number(headerLength);
      if (size < dataStart) {
        throw new ModelInputError(
          `${path} is truncated: its header needs ${dataStart} bytes, the file has ${size}`,
        );
      }
      const header = Buffer.alloc(Number(headerLength));
      readSync(fd, header, 0, header.byteLength, 8);
      const tensors = parseHeader(path, header.toString('utf8'), dataStart);
      let last: [string, SafetensorsEntry] | undefined;
      for (const entry of tensors) if (!last || entry[1].end > last[1].end) last = entry;
      if (last && last[1].end > size) {
        throw new ModelInputError(
          `${path} is truncated: tensor ${last[0]} ends at byte ${last[1].end}, the file has ${size} bytes`,
        );
      }
      return new SafetensorsFile(path, fd, tensors);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** The tensor's raw bytes, read from the file now. */
  read(name: string): Buffer {
    const entry = this.tensors.get(name);
    if (!entry) throw new Error(`${this.path} has no tensor ${name}`);
    if (this.fd === undefined) throw new Error(`${this.path} is closed`);
    // Unpooled, so the bytes own their (aligned) buffer and a float view of them needs no copy.
    const bytes = Buffer.allocUnsafeSlow(entry.end - entry.begin);
    for (let done = 0; done < bytes.byteLength; ) {
      const n = readSync(this.fd, bytes, done, bytes.byteLength - done, entry.begin + done);
      if (n === 0) throw new Error(`${this.path}: unexpected end of file reading ${name}`);
      done += n;
    }
    return bytes;
  }

  /** A float tensor (F32, F16 or BF16) as float32 values. */
  readFloat32(name: string): Float32Array {
    const dtype = this.tensors.get(name)?.dtype;
    if (dtype === undefined || !isFloatDtype(dtype)) {
      throw new Error(`${this.path}: tensor ${name} is ${dtype}, not F32, F16 or BF16`);
    }
    return toFloat32(this.read(name), dtype);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Little-endian float bytes → float32 values (F32: a view of the bytes when they are aligned). */
export function toFloat32(bytes: Uint8Array, dtype: FloatDtype): Float32Array {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
  const count = aligned.byteLength / (dtype === 'F32' ? 4 : 2);
  if (dtype === 'F32') return new Float32Array(aligned.buffer, aligned.byteOffset, count);
  const halves = new Uint16Array(aligned.buffer, aligned.byteOffset, count);
  if (dtype === 'F16') return float16ToFloat32(halves);
  // bfloat16 is the top half of a float32.
  const words = new Uint32Array(halves.length);
  for (let i = 0; i < halves.length; i++) words[i] = halves[i]! << 16;
  return new Float32Array(words.buffer);
}
