import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { CLI, fixture, fixturesMissing } from './helpers/paths.js';

const skip = fixturesMissing();
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tokenizer-cli-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    // MODEL_DIR emptied: the tests decide whether --model is given.
    const env = { ...process.env, MODEL_DIR: '' };
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, 'tokenize', ...args], {
      env,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const { code, stdout, stderr } = err as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

test('tokenize --model DIR TEXT prints the ids with BOS as a JSON array', { skip }, async () => {
  await copyFile(fixture('llama2-tokenizer', 'tokenizer.model'), join(dir, 'tokenizer.model'));
  const result = await cli('--model', dir, 'Hello world');
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), [1, 15043, 3186]);
  assert.deepEqual(JSON.parse((await cli('--model', dir, '<s>')).stdout), [1, 529, 29879, 29958]);
});

test('tokenize: a missing directory is a usage error (exit 2, one line)', async () => {
  const result = await cli('--model', join(dir, 'absent'), 'text');
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^llama-endpoint tokenize: --model '.*absent' is not a directory\n$/);
  assert.equal(result.stdout, '');
});

test('tokenize: a directory without a tokenizer file exits 1 with one line', async () => {
  const empty = await mkdtemp(join(dir, 'empty-'));
  const result = await cli('--model', empty, 'text');
  assert.equal(result.code, 1);
  assert.equal(result.stderr, `llama-endpoint tokenize: no tokenizer.json or tokenizer.model in ${empty}\n`);
});

test('tokenize: no TEXT, or no --model, is a usage error', async () => {
  assert.equal((await cli('--model', dir)).code, 2);
  assert.equal((await cli('text')).code, 2);
});
