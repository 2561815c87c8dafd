import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { readLlama2cCheckpoint } from '../src/modelgen/llama2c-checkpoint.js';
import { referenceGreedy } from '../src/modelgen/reference-forward.js';
import { aidreamsGreedyReference } from './helpers/aidreams.js';
import { convertedAidreams, onnxGreedy } from './helpers/models.js';
import { CLI, fixture, fixturesMissing } from './helpers/paths.js';

const skip = fixturesMissing();
const cases = aidreamsGreedyReference;
const checkpoint = () => fixture('aidreams260K', 'model.bin');
const tokenizer = () => fixture('aidreams260K', 'tokenizer.bin');

const workDir = mkdtempSync(join(tmpdir(), 'modelgen-llama2c-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

test('the reference forward pass on the converted aidreams260K weights reproduces llama2.c greedy', {
  skip,
}, () => {
  const { config, weights } = readLlama2cCheckpoint(readFileSync(checkpoint()));
  for (const c of cases()) {
    assert.deepEqual(
      referenceGreedy(config, weights, c.prompt_ids, c.max_new_tokens),
      c.generated_ids,
      c.prompt,
    );
  }
});

test('ONNX Runtime greedy on the converted aidreams260K model reproduces llama2.c greedy', {
  skip,
}, async () => {
  const dir = await convertedAidreams();
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(config.max_position_embeddings, 128);
  assert.equal(config.tie_word_embeddings, true);
  const generation = JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  assert.deepEqual(generation.eos_token_id, [2, 1]);
  const { config: llama } = readLlama2cCheckpoint(readFileSync(checkpoint()));
  const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
  for (const c of cases()) {
    assert.deepEqual(
      await onnxGreedy(session, llama, c.prompt_ids, c.max_new_tokens),
      c.generated_ids,
      c.prompt,
    );
  }
});

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  const lines = result.stderr.trim().split('\n');
  return { status: result.status, stderr: result.stderr, lines };
}

function assertOneLineError(result: ReturnType<typeof cli>, status: number, pattern: RegExp) {
  assert.equal(result.status, status, result.stderr);
  assert.equal(result.lines.length, 1, `one line: ${result.stderr}`);
  assert.match(result.lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

test('convert llama2c: a missing checkpoint is a one-line usage error (exit 2)', { skip }, () => {
  const missing = join(workDir, 'nope.bin');
  const result = cli(
    'convert',
    'llama2c',
    '--checkpoint',
    missing,
    '--tokenizer',
    tokenizer(),
    '--out',
    workDir,
  );
  assertOneLineError(result, 2, /no such file .*nope\.bin/);
});

test('convert llama2c: a truncated checkpoint names expected and actual bytes (exit 1)', { skip }, () => {
  const bytes = readFileSync(checkpoint());
  const truncated = join(workDir, 'truncated.bin');
  writeFileSync(truncated, bytes.subarray(0, 100_000));
  const out = join(workDir, 'out-truncated');
  const result = cli(
    'convert',
    'llama2c',
    '--checkpoint',
    truncated,
    '--tokenizer',
    tokenizer(),
    '--out',
    out,
  );
  assertOneLineError(result, 1, new RegExp(`truncated: expected ${bytes.byteLength} bytes .*got 100000`));
});

test('convert llama2c: a tokenizer of another vocabulary size is refused (exit 1)', { skip }, () => {
  const out = join(workDir, 'out-mismatch');
  const llama2 = fixture('llama2-tokenizer', 'tokenizer.bin');
  const result = cli('convert', 'llama2c', '--checkpoint', checkpoint(), '--tokenizer', llama2, '--out', out);
  assertOneLineError(result, 1, /has 32000 pieces but the model's vocab_size is 512/);
});

test('convert llama2c: a tokenizer with a corrupt record after its pieces is refused, not looped on (exit 1)', {
  skip,
}, () => {
  // One more record whose length is -8: counting pieces must stop on it rather than step back forever.
  const record = Buffer.alloc(8);
  record.writeInt32LE(-8, 4);
  const corrupt = join(workDir, 'corrupt-tokenizer.bin');
  writeFileSync(corrupt, Buffer.concat([readFileSync(tokenizer()), record]));
  const out = join(workDir, 'out-corrupt');
  const args = ['convert', 'llama2c', '--checkpoint', checkpoint(), '--tokenizer', corrupt, '--out', out];
  assertOneLineError(cli(...args), 1, /negative length \(-8\)/);
});

test('convert: a wrong source format or a missing flag is a usage error (exit 2)', () => {
  assertOneLineError(
    cli('convert', 'gguf', '--checkpoint', 'x'),
    2,
    /expected the source format 'hf' or 'llama2c'/,
  );
  assertOneLineError(
    cli('convert', 'llama2c', '--tokenizer', 'x', '--out', 'y'),
    2,
    /--checkpoint is required/,
  );
  assertOneLineError(cli('create-random', '--preset', 'huge', '--out', 'y'), 2, /--preset must be one of/);
});
