import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSentencePieceModel } from './sentencepiece-model.js';
import { SentencePieceTokenizer } from './sentencepiece-tokenizer.js';
import type { Tokenizer } from './tokenizer.js';
import type { TokenizerConfigJson, TokenizerJson } from './tokenizer-json.js';

async function readIfPresent(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
}

function parseJson<T>(bytes: Buffer, path: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** The model directory's tokenizer: tokenizer.json (+ tokenizer_config.json) if present, else tokenizer.model. */
export async function loadTokenizer(modelDir: string): Promise<Tokenizer> {
  const jsonPath = join(modelDir, 'tokenizer.json');
  const json = await readIfPresent(jsonPath);
  if (json) {
    const configPath = join(modelDir, 'tokenizer_config.json');
    const config = await readIfPresent(configPath);
    return SentencePieceTokenizer.fromJson(
      parseJson<TokenizerJson>(json, jsonPath),
      config ? parseJson<TokenizerConfigJson>(config, configPath) : {},
    );
  }
  const model = await readIfPresent(join(modelDir, 'tokenizer.model'));
  if (model) return SentencePieceTokenizer.fromVocab(readSentencePieceModel(model));
  throw new Error(`no tokenizer.json or tokenizer.model in ${modelDir}`);
}
