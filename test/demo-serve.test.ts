/** `npm start` (serve with no --model): the trained demo model, whose printed curl line answers real text. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { aidreamsGreedyReference } from './helpers/aidreams.js';
import { CLI, fixturesMissing } from './helpers/paths.js';
import { postJson } from './helpers/server.js';

test('serve without --model serves aidreams260K; its curl line and playground line work', async () => {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--intra-op-threads', '1'], {
    env: { ...process.env, MODEL_DIR: '', API_KEYS: '', PLAYGROUND: '' },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout.resume();
  try {
    const end = Date.now() + 120_000;
    while (!stderr.includes('playground: ')) {
      if (child.exitCode !== null || Date.now() > end) assert.fail(`serve did not get ready: ${stderr}`);
      await delay(20);
    }
    const curl = /ready: curl -s (\S+) -H "Content-Type: application\/json" -d '(.+)'\n/.exec(stderr);
    assert.ok(curl, stderr);
    const [, scoreUrl, body] = curl;
    const { status, json } = await postJson(scoreUrl!, JSON.parse(body!));
    assert.equal(status, 200, JSON.stringify(json));
    const text = (json as Record<string, string>[])[0]!['0']!;
    const { input_string } = (JSON.parse(body!) as { input_data: { input_string: string[] } }).input_data;
    assert.ok(text.startsWith(input_string[0]!) && text.length > input_string[0]!.length + 20, text);
    // The random tiny model says any of Llama-2's 32000 pieces, most of them not English; aidreams260K writes
    // English dreams from its own 512 pieces.
    const words = text.slice(input_string[0]!.length).split(/\s+/).filter(Boolean);
    assert.match(text, /^[\x20-\x7e]+$/, 'printable ASCII only');
    const english = words.filter((word) => /^[a-z]{2,}[,.;:!?]?$/i.test(word));
    assert.ok(english.length >= 0.6 * words.length, `mostly words: ${text}`);
    const modelsAnswer = await fetch(new URL('/v1/models', scoreUrl));
    const models = (await modelsAnswer.json()) as { data: { id: string }[] };
    assert.equal(models.data[0]!.id, 'aidreams260K');
    const page = /playground: (\S+)\n/.exec(stderr)![1]!;
    assert.match(await (await fetch(page)).text(), /<title>llama-endpoint playground<\/title>/);
    if (!fixturesMissing()) {
      const reference = aidreamsGreedyReference()[0]!;
      const greedy = await postJson(scoreUrl!, {
        input_data: {
          input_string: [reference.prompt],
          parameters: { max_new_tokens: reference.max_new_tokens },
        },
      });
      assert.equal((greedy.json as Record<string, string>[])[0]!['0'], reference.full_text);
    }
  } finally {
    child.kill('SIGTERM');
  }
});
