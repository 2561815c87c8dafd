/**
 * Writes a directory beside its final place and renames it there once complete, so a run that fails or is
 * killed half-way leaves nothing at the destination that looks like a model. The staging directory is
 * `<dir>.partial-<pid>`; ones whose process is gone (killed runs) are removed before the next write to the
 * same place.
 */
import { readdirSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ModelInputError } from './model-input-error.js';

const PARTIAL = '.partial-';

function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function removeAbandoned(dir: string): Promise<void> {
  const parent = dirname(dir);
  const prefix = `${basename(dir)}${PARTIAL}`;
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(name.slice(prefix.length));
    if (name.startsWith(prefix) && Number.isInteger(pid) && pid > 0 && processIsGone(pid)) {
      await rm(join(parent, name), { recursive: true, force: true });
    }
  }
}

/** A destination that is neither absent nor an empty directory is refused: nothing the user had is replaced. */
function assertFree(dir: string): void {
  const stat = statSync(dir, { throwIfNoEntry: false });
  if (!stat) return;
  if (!stat.isDirectory()) throw new ModelInputError(`output ${dir} exists and is not a directory`);
  if (readdirSync(dir).length > 0) {
    throw new ModelInputError(
      `output directory ${dir} already exists and is not empty: remove it or choose another`,
    );
  }
}

/** Runs `write(stagingDir)`, then renames the staging directory to `dir`; on failure removes it. */
export async function writeStagedDirectory<T>(
  dir: string,
  write: (stagingDir: string) => Promise<T>,
): Promise<T> {
  assertFree(dir);
  await removeAbandoned(dir);
  const staging = `${dir}${PARTIAL}${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    const result = await write(staging);
    assertFree(dir);
    // rename(2) replaces an empty directory, so an empty --out made beforehand is fine.
    await rename(staging, dir);
    return result;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
