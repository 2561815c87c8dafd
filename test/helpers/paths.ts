import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this file holding package.json (works from dist/ too). */
export const REPO_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the tests');
    dir = up;
  }
  return dir;
})();

/** ../shared/fixtures beside the checkout (SHARED_DIR overrides). */
export const FIXTURES_DIR = resolve(process.env.SHARED_DIR ?? join(REPO_ROOT, '..', 'shared'), 'fixtures');

/** For `test(name, { skip: fixturesMissing() }, ...)`: a one-line reason when the fixtures are absent. */
export function fixturesMissing(): string | false {
  return existsSync(FIXTURES_DIR) ? false : `fixtures not found at ${FIXTURES_DIR}`;
}

export function fixture(...parts: string[]): string {
  return join(FIXTURES_DIR, ...parts);
}

/** The CLI entry as built by `npm run build`. */
export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
