import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildTokenizerConfig, buildTokenizerJson } from './tokenizer-json.js';
import type { SentencePieceVocab } from './vocab.js';

/** A JSON file of a model directory, as the Hugging Face tools write it: 2-space indent, final newline. */
export const writeJson = (path: string, value: unknown) =>
  writeFile(path, `${JSON.stringify(value, null, 2)}\n`);

/** Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json for `vocab` into dir. */
export async function writeTokenizerFiles(vocab: SentencePieceVocab, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const config = buildTokenizerConfig(vocab);
  await Promise.all([
    writeJson(join(dir, 'tokenizer.json'), buildTokenizerJson(vocab)),
    writeJson(join(dir, 'tokenizer_config.json'), config),
    writeJson(join(dir, 'special_tokens_map.json'), {
      bos_token: config.bos_token,
      eos_token: config.eos_token,
      unk_token: config.unk_token,
    }),
  ]);
}
