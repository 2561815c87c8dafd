import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { ensureDemoModel } from '../src/cli/demo-model.js';
import { aidreamsGreedyReference } from './helpers/aidreams.js';
import { CLI, fixture, fixturesMissing, REPO_ROOT } from './helpers/paths.js';

const modelsDir = await mkdtemp(join(tmpdir(), 'demo-models-'));
after(() => rm(modelsDir, { recursive: true, force: true }));

test('the shipped checkpoint is the aidreams260K fixture, with its license and source notice beside it', {
  skip: fixturesMissing(),
}, async () => {
  for (const file of ['model.bin', 'tokenizer.bin', 'SOURCE.md']) {
    const shipped = await readFile(join(REPO_ROOT, 'demo', 'aidreams260K', file));
    assert.ok(shipped.equals(await readFile(fixture('aidreams260K', file))), file);
  }
  const notice = await readFile(join(REPO_ROOT, 'demo', 'aidreams260K', 'SOURCE.md'), 'utf8');
  assert.match(notice, /MIT license/);
});

test('converted once on first start, then reused', async () => {
  const first = await ensureDemoModel(modelsDir);
  assert.equal(first.created, true);
  assert.deepEqual(
    await readdir(modelsDir),
    [first.dir.slice(modelsDir.length + 1)],
    'no partial folder left',
  );
  const config = JSON.parse(await readFile(join(first.dir, 'config.json'), 'utf8')) as { vocab_size: number };
  assert.equal(config.vocab_size, 512, "aidreams260K's own 512-piece vocabulary, not Llama-2's");
  const second = await ensureDemoModel(modelsDir);
  assert.deepEqual(second, { dir: first.dir, created: false });
  // A folder from another checkpoint or version is converted again, not served stale.
  await writeFile(join(first.dir, 'converted-from.txt'), 'aidreams260K 0000 llama-endpoint 0.0.0\n');
  assert.deepEqual(await ensureDemoModel(modelsDir), { dir: first.dir, created: true });
  assert.deepEqual(await readdir(modelsDir), ['aidreams260K']);
});

test('the demo model says what llama2.c says: its greedy texts, token for token', {
  skip: fixturesMissing(),
}, async () => {
  const { dir } = await ensureDemoModel(modelsDir);
  for (const reference of aidreamsGreedyReference()) {
    const { stdout } = await promisify(execFile)(process.execPath, [
      ...[CLI, 'generate', '--model', dir, '--prompt', reference.prompt, '--greedy'],
      ...['--max-new-tokens', String(reference.max_new_tokens)],
    ]);
    assert.equal(stdout.trimEnd(), reference.full_text);
  }
});
