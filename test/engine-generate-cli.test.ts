import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { before, test } from 'node:test';
import { promisify } from 'node:util';
import { aidreamsGreedyReference, type GreedyReference } from './helpers/aidreams.js';
import { convertedAidreams } from './helpers/models.js';
import { CLI, fixture, fixturesMissing } from './helpers/paths.js';

const skip = fixturesMissing();
let modelDir: string;
let cases: GreedyReference[];

before(async () => {
  if (skip) return;
  modelDir = await convertedAidreams();
  cases = aidreamsGreedyReference();
});

async function generate(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, 'generate', ...args], {
      env: { ...process.env, MODEL_DIR: '', PROVIDER: '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const { code, stdout, stderr } = err as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

/** A usage error: exit 2 and exactly one line on stderr, matching `pattern`. */
function assertOneLineError(
  result: { code: number; stdout: string; stderr: string },
  code: number,
  pattern: RegExp,
) {
  assert.equal(result.code, code, result.stderr);
  assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, pattern);
}

test('generate --greedy reproduces llama2.c on the converted aidreams260K, case by case', {
  skip,
}, async () => {
  assert.ok(cases.length > 0);
  for (const c of cases) {
    const result = await generate([
      '--model',
      modelDir,
      '--prompt',
      c.prompt,
      '--max-new-tokens',
      `${c.max_new_tokens}`,
      '--greedy',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${c.full_text}\n`, c.prompt);
  }
});

test('generate: sampling flags, seeds and MODEL_DIR', { skip }, async () => {
  const sample = (seed: string) =>
    generate(
      [
        '--prompt',
        'The machine',
        '--max-new-tokens',
        '30',
        '--temperature',
        '1',
        '--top-p',
        '0.95',
        '--top-k',
        '40',
        '--seed',
        seed,
      ],
      { MODEL_DIR: modelDir },
    );
  const [a, b, c] = await Promise.all([sample('1'), sample('1'), sample('2')]);
  for (const r of [a, b, c]) {
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith('The machine'));
  }
  assert.equal(a.stdout, b.stdout);
  assert.notEqual(a.stdout, c.stdout);
  // No flags: generation_config.json has no sampling defaults, so greedy, 16 new tokens.
  const plain = await generate(['--model', modelDir, '--prompt', cases[0]!.prompt]);
  assert.equal(plain.code, 0, plain.stderr);
  const greedy16 = await generate([
    '--model',
    modelDir,
    '--prompt',
    cases[0]!.prompt,
    '--greedy',
    '--max-new-tokens',
    '16',
  ]);
  assert.equal(plain.stdout, greedy16.stdout);
});

test('generate: a prompt longer than the context is a one-line usage error naming both numbers', {
  skip,
}, async () => {
  const long = 'word '.repeat(100);
  assertOneLineError(
    await generate(['--model', modelDir, '--prompt', long]),
    2,
    /302 prompt tokens \+ 16 --max-new-tokens = 318, more than the model's context of 128/,
  );
  assertOneLineError(
    await generate(['--model', modelDir, '--prompt', 'The machine', '--max-new-tokens', '125']),
    2,
    /8 prompt tokens \+ 125 --max-new-tokens = 133, more than the model's context of 128 tokens/,
  );
});

test('generate: bad arguments are one-line errors', { skip }, async () => {
  assertOneLineError(
    await generate(['--model', '/nonexistent/model', '--prompt', 'x']),
    2,
    /not a directory/,
  );
  assertOneLineError(await generate(['--prompt', 'x']), 2, /--model is required/);
  assertOneLineError(await generate(['--model', modelDir]), 2, /--prompt is required/);
  assertOneLineError(
    await generate(['--model', modelDir, '--prompt', 'x', '--greedy', '--seed', '1']),
    2,
    /--greedy/,
  );
  assertOneLineError(await generate(['--model', modelDir, '--prompt', 'x', '--top-p', '0']), 2, /--top-p/);
  assertOneLineError(
    await generate(['--model', modelDir, '--prompt', 'x', '--max-new-tokens', '0']),
    2,
    /--max-new-tokens/,
  );
  assertOneLineError(
    await generate(['--model', modelDir, '--prompt', 'x', '--provider', 'tpu']),
    2,
    /--provider/,
  );
  assertOneLineError(
    await generate(['--model', fixture('aidreams260K'), '--prompt', 'x']),
    1,
    /config\.json/,
  );
});
