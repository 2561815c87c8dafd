import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertLlama2c } from './convert-llama2c.js';

/** demo/aidreams260K at the package root, wherever the compiled file runs from. */
const DEMO_SOURCE_DIR = fileURLToPath(new URL('../../../demo/aidreams260K/', import.meta.url));
/** models/ at the package root (git-ignored). */
export const DEMO_MODELS_DIR = fileURLToPath(new URL('../../../models/', import.meta.url));

export interface DemoModel {
  dir: string;
  /** false: an earlier start had converted it already. */
  created: boolean;
}

/**
 * The demo model `npm start` serves: aidreams260K, a tiny Llama trained on machine-written dreams (shipped in
 * demo/aidreams260K as its llama2.c checkpoint and tokenizer, MIT, see SOURCE.md there), converted to a model
 * directory on first start. The folder is named by a hash of the two files and this package's version, so
 * a new checkpoint or converter converts again instead of serving a stale copy; it is written beside its
 * final place and renamed, so an interrupted first start leaves nothing half-written behind.
 */
export async function ensureDemoModel(modelsDir = DEMO_MODELS_DIR): Promise<DemoModel> {
  const checkpoint = join(DEMO_SOURCE_DIR, 'model.bin');
  const tokenizer = join(DEMO_SOURCE_DIR, 'tokenizer.bin');
  const packageJson = fileURLToPath(new URL('../../../package.json', import.meta.url));
  const { version } = JSON.parse(await readFile(packageJson, 'utf8')) as { version: string };
  const hash = createHash('sha256').update(version);
  for (const file of [checkpoint, tokenizer]) hash.update(await readFile(file));
  const dir = join(modelsDir, `aidreams260K-${hash.digest('hex').slice(0, 12)}`);
  if (existsSync(join(dir, 'config.json'))) return { dir, created: false };
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await convertLlama2c({ checkpoint, tokenizer, outDir: partial });
  await rename(partial, dir);
  return { dir, created: true };
}
