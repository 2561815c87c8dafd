/**
 * A request the server's own checks let through but the worker refuses as one the model cannot run is the
 * client's error: 400 with the worker's reason, not a 500. Here the model's config.json declares a smaller
 * vocabulary than its tokenizer produces, so a text prompt tokenizes to ids the worker refuses.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tinyRandomModel } from './helpers/models.js';
import { postJson, startServer, type TestServer } from './helpers/server.js';

const VOCAB = 100;
let server: TestServer;
let dir: string;

/** The tiny random model with config.json's vocab_size cut to VOCAB (every other file linked as it is). */
async function smallVocabModel(): Promise<string> {
  const source = await tinyRandomModel();
  const target = await mkdtemp(join(tmpdir(), 'small-vocab-'));
  for (const name of await readdir(source)) {
    if (name !== 'config.json') await symlink(join(source, name), join(target, name));
  }
  const config = JSON.parse(await readFile(join(source, 'config.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(join(target, 'config.json'), JSON.stringify({ ...config, vocab_size: VOCAB }));
  return target;
}

before(async () => {
  dir = await smallVocabModel();
  server = await startServer({ modelDir: dir });
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

test('a prompt the worker refuses (a token outside the vocabulary) answers 400 with its reason', async () => {
  const response = await postJson(`${server.url}/score`, {
    input_data: { input_string: ['Once upon a time'], parameters: { max_new_tokens: 2 } },
  });
  assert.equal(response.status, 400);
  const { error } = response.json as { error: { code: string; message: string } };
  assert.equal(error.code, 'BadRequest');
  assert.match(error.message, new RegExp(`token id \\d+ is outside the vocabulary of ${VOCAB}`));
});
