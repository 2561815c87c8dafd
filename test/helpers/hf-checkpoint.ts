/**
 * Writes Hugging Face Llama checkpoints for `convert hf` tests: config.json, safetensors weights (one file,
 * or shards with model.safetensors.index.json) in F32, F16 or BF16, a tokenizer (tokenizer.json or a
 * SentencePiece tokenizer.model) and generation_config.json — the layout `save_pretrained` writes.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import protobuf from 'protobufjs/minimal.js';
import { type LlamaConfig, toHfConfig } from '../../src/modelgen/llama-config.js';
import { type LlamaWeights, llamaTensorShapes } from '../../src/modelgen/llama-weights.js';
import { readLlama2cCheckpoint } from '../../src/modelgen/llama2c-checkpoint.js';
import { toFloat16Array } from '../../src/modelgen/onnx/float16.js';
import { readVocabFile } from '../../src/modelgen/vocab-file.js';
import { writeJson, writeTokenizerFiles } from '../../src/tokenizer/tokenizer-files.js';
import type { PieceType, SentencePieceVocab } from '../../src/tokenizer/vocab.js';
import { fixture } from './paths.js';

export type HfDtype = 'F32' | 'F16' | 'BF16';

export interface HfCheckpointOptions {
  dtype?: HfDtype;
  /** 1: model.safetensors; more: model-0000i-of-0000n.safetensors and the index. */
  shards?: number;
  /** Write lm_head.weight (a copy of the embedding) and tie_word_embeddings false. */
  untied?: boolean;
  /** 'json': tokenizer.json + tokenizer_config.json; 'model': a SentencePiece tokenizer.model alone. */
  tokenizer?: 'json' | 'model';
}

/** float32 → bfloat16 bits, rounding to nearest even (as torch's .to(torch.bfloat16)). */
function toBfloat16Array(values: Float32Array): Uint16Array {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < words.length; i++) {
    const x = words[i]!;
    out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}

function tensorBytes(values: Float32Array, dtype: HfDtype): Uint8Array {
  const typed = dtype === 'F32' ? values : dtype === 'F16' ? toFloat16Array(values) : toBfloat16Array(values);
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}

export interface SafetensorsTensor {
  name: string;
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** One safetensors file: the header padded with spaces to a multiple of 8 bytes, as the reference writer does. */
export function safetensorsBytes(tensors: SafetensorsTensor[]): Buffer {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.byteLength] };
    offset += t.bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, Buffer.from(json), ...tensors.map((t) => t.bytes)]);
}

const PIECE_TYPE_CODES: Record<PieceType, number> = {
  normal: 1,
  unknown: 2,
  control: 3,
  user_defined: 4,
  unused: 5,
  byte: 6,
};

/** A SentencePiece ModelProto holding `vocab`: the fields readSentencePieceModel (and sentencepiece) read. */
export function sentencePieceModelBytes(vocab: SentencePieceVocab): Uint8Array {
  const w = protobuf.Writer.create();
  for (const { piece, score, type } of vocab.pieces) {
    w.uint32((1 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).string(piece);
    w.uint32((2 << 3) | 5).float(score);
    w.uint32((3 << 3) | 0).int32(PIECE_TYPE_CODES[type]);
    w.ldelim();
  }
  w.uint32((2 << 3) | 2).fork();
  w.uint32((3 << 3) | 0).int32(2); // model_type BPE
  w.uint32((35 << 3) | 0).bool(vocab.byteFallback);
  w.uint32((40 << 3) | 0).int32(vocab.unkId);
  w.uint32((41 << 3) | 0).int32(vocab.bosId);
  w.uint32((42 << 3) | 0).int32(vocab.eosId);
  w.ldelim();
  w.uint32((3 << 3) | 2).fork();
  w.uint32((3 << 3) | 0).bool(vocab.addDummyPrefix);
  w.uint32((4 << 3) | 0).bool(false); // remove_extra_whitespaces
  w.ldelim();
  return w.finish();
}

export interface HfCheckpointSource {
  config: LlamaConfig;
  /** In Hugging Face layout: q_proj/k_proj rows in rotate-half order. */
  weights: LlamaWeights;
  vocab: SentencePieceVocab;
  generationConfig: Record<string, unknown>;
}

/**
 * aidreams260K as Hugging Face would hold it. readLlama2cCheckpoint already permutes wq/wk from llama2.c's
 * adjacent-pair order into the rotate-half order (what convert_llama_weights_to_hf.py does to Meta's
 * weights), so its weights are the HF tensors as they are.
 */
export async function aidreamsHfSource(): Promise<HfCheckpointSource> {
  const { config, weights } = readLlama2cCheckpoint(readFileSync(fixture('aidreams260K', 'model.bin')));
  const vocab = await readVocabFile(fixture('aidreams260K', 'tokenizer.bin'), config.vocabSize);
  // llama2.c's run.c, which made the reference texts, ends a text on BOS as well as EOS.
  return { config, weights, vocab, generationConfig: { bos_token_id: 1, eos_token_id: [2, 1] } };
}

export async function writeHfCheckpoint(
  dir: string,
  source: HfCheckpointSource,
  options: HfCheckpointOptions = {},
): Promise<void> {
  const dtype = options.dtype ?? 'F32';
  const shards = options.shards ?? 1;
  const config = { ...source.config, tieWordEmbeddings: source.config.tieWordEmbeddings && !options.untied };
  await mkdir(dir, { recursive: true });
  await writeJson(join(dir, 'config.json'), { ...toHfConfig(config, 'float32'), torch_dtype: dtype });
  await writeJson(join(dir, 'generation_config.json'), source.generationConfig);
  if (options.tokenizer === 'model') {
    await writeFile(join(dir, 'tokenizer.model'), sentencePieceModelBytes(source.vocab));
  } else {
    await writeTokenizerFiles(source.vocab, dir);
  }

  const tensors = llamaTensorShapes(config).map(({ name, shape }) => {
    const values = source.weights.get(name === 'lm_head.weight' ? 'model.embed_tokens.weight' : name);
    if (!values) throw new Error(`no weight ${name}`);
    return { name, dtype, shape, bytes: tensorBytes(values, dtype) };
  });
  if (shards === 1) {
    await writeFile(join(dir, 'model.safetensors'), safetensorsBytes(tensors));
    return;
  }
  // Each tensor goes to the shard its first byte falls in, splitting the bytes about evenly.
  const total = tensors.reduce((sum, t) => sum + t.bytes.byteLength, 0);
  const fileName = (shard: number) =>
    `model-${String(shard).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
  const parts: SafetensorsTensor[][] = Array.from({ length: shards }, () => []);
  const weightMap: Record<string, string> = {};
  let before = 0;
  for (const t of tensors) {
    const shard = Math.min(shards - 1, Math.floor((before * shards) / total));
    parts[shard]!.push(t);
    weightMap[t.name] = fileName(shard + 1);
    before += t.bytes.byteLength;
  }
  for (const [i, part] of parts.entries())
    await writeFile(join(dir, fileName(i + 1)), safetensorsBytes(part));
  await writeJson(join(dir, 'model.safetensors.index.json'), {
    metadata: { total_size: total },
    weight_map: weightMap,
  });
}
