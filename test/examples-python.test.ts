/** The Python examples (standard library only) run with python3 against the real server and the demo model. */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { ensureDemoModel } from '../src/cli/demo-model.js';
import { aidreamsGreedyReference } from './helpers/aidreams.js';
import { fixturesMissing, REPO_ROOT } from './helpers/paths.js';
import { startServer, type TestServer } from './helpers/server.js';

const EXAMPLES = join(REPO_ROOT, 'examples', 'python');
const KEY = 'python-key';
const skip = (() => {
  try {
    execFileSync('python3', ['--version']);
    return false;
  } catch {
    return 'python3 is not installed';
  }
})();

let server: TestServer;
let scratch: string;

before(async () => {
  if (skip) return;
  scratch = await mkdtemp(join(tmpdir(), 'examples-'));
  server = await startServer({ modelDir: (await ensureDemoModel(scratch)).dir, apiKeys: [KEY] });
});
after(async () => {
  await server?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function run(script: string, env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)('python3', [join(EXAMPLES, script)], {
      env: { ...process.env, ENDPOINT_URL: server.url, API_KEY: KEY, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const { code, stdout, stderr } = err as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

test('score_input_string.py: one record keyed by prompt index, each text led by its prompt', {
  skip,
}, async () => {
  const { code, stdout, stderr } = await run('score_input_string.py', {
    ENDPOINT_URL: `${server.url}/score`,
  });
  assert.equal(code, 0, stderr);
  const lines = stdout.trimEnd().split('\n');
  assert.equal(lines.length, 2, stdout);
  assert.ok(lines[0]!.startsWith('[0] The machine') && lines[0]!.length > '[0] The machine'.length, stdout);
  assert.ok(lines[1]!.startsWith('[1] In the garden of forgotten code'), stdout);
});

test('score_list.py: greedy continuations cut before the stop string', { skip }, async () => {
  const { code, stdout, stderr } = await run('score_list.py');
  assert.equal(code, 0, stderr);
  const lines = stdout.trimEnd().split('\n');
  assert.equal(lines.length, 2, stdout);
  if (!fixturesMissing()) {
    // llama2.c's greedy text for "The machine" up to its first full stop.
    const reference = aidreamsGreedyReference().find((r) => r.prompt === 'The machine')!;
    assert.equal(lines[0], reference.full_text.slice(reference.prompt.length).split('.')[0]);
  }
  for (const line of lines) assert.doesNotMatch(line, /\./);
});

test('score_chat.py: the assistant reply only', { skip }, async () => {
  const { code, stdout, stderr } = await run('score_chat.py');
  assert.equal(code, 0, stderr);
  assert.ok(stdout.trim().length > 0);
  assert.doesNotMatch(stdout, /\[INST\]|Tell a dream/, 'no prompt or template in the answer');
});

test('openai_completions.py: whole and streamed, each with usage', { skip }, async () => {
  const { code, stdout, stderr } = await run('openai_completions.py');
  assert.equal(code, 0, stderr);
  const usage = "usage: {4}\\{'prompt_tokens': \\d+, 'completion_tokens': 32, 'total_tokens': \\d+\\}";
  assert.match(stdout, new RegExp(`^whole: +\\S.*\\n${usage}\\nstreamed: +\\S.*\\n${usage}\\n$`));
});

test('openai_chat.py: the model from /v1/models, a reply whole and streamed', { skip }, async () => {
  const { code, stdout, stderr } = await run('openai_chat.py');
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^model: {4}aidreams260K\nwhole: +\S.*\nfinish: {3}(stop|length)\nstreamed: +\S.*\n$/);
});

test('an example against a keyed server without the key exits with the 401 message', { skip }, async () => {
  const { code, stderr } = await run('score_list.py', { API_KEY: '' });
  assert.equal(code, 1);
  assert.equal(stderr.trim(), '401: missing Authorization: Bearer <key>');
});
