import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertLlama2c } from '../modelgen/convert-llama2c.js';

/** demo/aidreams260K at the package root, wherever the compiled file runs from. */
const DEMO_SOURCE_DIR = fileURLToPath(new URL('../../../demo/aidreams260K/', import.meta.url));
/** models/ at the package root (git-ignored). */
export const DEMO_MODELS_DIR = fileURLToPath(new URL('../../../models/', import.meta.url));

export interface DemoModel {
  dir: string;
  /** false: an earlier start had converted it already. */
  created: boolean;
}

/** Written last into the converted folder: what it was converted from. */
const STAMP_FILE = 'converted-from.txt';

/**
 * The demo model `npm start` serves: aidreams260K, a tiny Llama trained on machine-written dreams (shipped in
 * demo/aidreams260K as its llama2.c checkpoint and tokenizer, MIT, see SOURCE.md there), converted to a model
 * directory on first start. The folder's stamp holds a hash of the two files and this package's version, so
 * a new checkpoint or converter converts again instead of serving a stale copy.
 */
export async function ensureDemoModel(modelsDir = DEMO_MODELS_DIR): Promise<DemoModel> {
  const checkpoint = join(DEMO_SOURCE_DIR, 'model.bin');
  const tokenizer = join(DEMO_SOURCE_DIR, 'tokenizer.bin');
  const packageJson = fileURLToPath(new URL('../../../package.json', import.meta.url));
  const { version } = JSON.parse(await readFile(packageJson, 'utf8')) as { version: string };
  const hash = createHash('sha256').update(version);
  for (const file of [checkpoint, tokenizer]) hash.update(await readFile(file));
  const stamp = `aidreams260K ${hash.digest('hex')} llama-endpoint ${version}\n`;
  const dir = join(modelsDir, 'aidreams260K');
  const current = await readFile(join(dir, STAMP_FILE), 'utf8').catch(() => undefined);
  if (current === stamp) return { dir, created: false };
  // Staged and renamed into place when complete (writeModelDirectory); the stamp goes in last, so a start
  // interrupted before it converts again.
  await rm(dir, { recursive: true, force: true });
  await convertLlama2c({ checkpoint, tokenizer, outDir: dir });
  await writeFile(join(dir, STAMP_FILE), stamp);
  return { dir, created: true };
}
