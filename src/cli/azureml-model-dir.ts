import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './usage-error.js';

/** Set by Azure ML in a deployment's container: where the registered model is mounted. */
export const AZUREML_MODEL_DIR = 'AZUREML_MODEL_DIR';

/** How deep below the mount the model's folder may sit: Azure puts a registered folder one level down. */
const MAX_DEPTH = 2;

const isModelDirectory = (dir: string) => existsSync(join(dir, 'config.json'));

/**
 * The model directory inside an Azure ML model mount. Azure mounts a model registered from a folder at
 * `$AZUREML_MODEL_DIR/<folder name>/`, so the directory holding `config.json` is the mount itself or the one
 * folder below it (or below that) that holds one.
 */
export function azureMlModelDir(mount: string): string {
  if (!statSync(mount, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(
      `${AZUREML_MODEL_DIR}: no such directory '${mount}' (mount the model there, or set MODEL_DIR)`,
    );
  }
  let level = [mount];
  for (let depth = 0; depth <= MAX_DEPTH && level.length > 0; depth++) {
    const found = level.filter(isModelDirectory);
    if (found.length === 1) return found[0]!;
    if (found.length > 1) {
      throw new Error(`${AZUREML_MODEL_DIR}: more than one model directory in ${mount}: ${found.join(', ')}`);
    }
    level = level.flatMap((dir) =>
      readdirSync(dir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => join(dir, entry.name)),
    );
  }
  throw new Error(`${AZUREML_MODEL_DIR}: no config.json in ${mount} or the folders below it`);
}
