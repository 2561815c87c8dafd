import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRandomModel } from '../modelgen/create-random-model.js';

/** models/ at the package root (git-ignored), wherever the compiled file runs from. */
const MODELS_DIR = fileURLToPath(new URL('../../../models/', import.meta.url));
const DEMO_MODEL_DIR = join(MODELS_DIR, 'demo-tiny');

/**
 * The demo model `npm start` serves: a seeded random tiny Llama with the real Llama-2 tokenizer, written on
 * first start. Like every model directory it is written beside its place and renamed there when complete,
 * so an interrupted first start leaves nothing half-written behind.
 */
export async function ensureDemoModel(): Promise<{ dir: string; created: boolean }> {
  if (existsSync(join(DEMO_MODEL_DIR, 'config.json'))) return { dir: DEMO_MODEL_DIR, created: false };
  await createRandomModel({ preset: 'tiny', outDir: DEMO_MODEL_DIR });
  return { dir: DEMO_MODEL_DIR, created: true };
}
