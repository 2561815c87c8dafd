/** The model-writing commands as a user meets them: help, version, progress, and what an interrupted run leaves. */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PRESETS } from '../src/modelgen/llama-config.js';
import { llamaTensorShapes } from '../src/modelgen/llama-weights.js';
import { writeModelDirectory } from '../src/modelgen/model-directory.js';
import { defaultLlama2Vocab } from '../src/tokenizer/default-vocab.js';
import { CLI, fixture, fixturesMissing, REPO_ROOT } from './helpers/paths.js';

const workDir = mkdtempSync(join(tmpdir(), 'modelgen-cli-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Names left beside `dir` by a staged write. */
const partialsBeside = (dir: string) =>
  readdirSync(workDir).filter((name) => name.startsWith(`${dir.slice(workDir.length + 1)}.partial-`));

test('--version prints the package version', () => {
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  const result = cli('--version');
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, `${version}\n`);
});

test('convert --help and create-random --help explain every flag', () => {
  const graphFlags = [
    '--dtype',
    '--logits',
    '--kv-outputs',
    '--attention',
    '--ops',
    '--external-data',
    '--help',
  ];
  const commands = {
    convert: ['hf', 'llama2c', '--in', '--checkpoint', '--tokenizer', '--out', ...graphFlags],
    'create-random': ['--preset', '--out', '--layers', '--seed', '--tokenizer', ...graphFlags],
  };
  for (const [command, flags] of Object.entries(commands)) {
    const result = cli(command, '--help');
    assert.equal(result.status, 0, result.stderr);
    for (const flag of flags) {
      // Each flag starts an option line followed by what it does.
      assert.match(result.stdout, new RegExp(`^ {2}(-h, )?${flag}\\b.* {2,}\\S`, 'm'), `${command} ${flag}`);
    }
  }
});

test('convert llama2c accepts --external-data, as the README says', { skip: fixturesMissing() }, () => {
  const out = join(workDir, 'aidreams-external');
  const result = cli(
    'convert',
    'llama2c',
    '--checkpoint',
    fixture('aidreams260K', 'model.bin'),
    '--tokenizer',
    fixture('aidreams260K', 'tokenizer.bin'),
    '--out',
    out,
    '--external-data',
  );
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /weights in model\.onnx\.data/);
  assert.ok(statSync(join(out, 'model.onnx.data')).size > 900_000);
});

test('without a terminal, progress is plain lines on stderr: the size first, the rate at the end', () => {
  const out = join(workDir, 'plain');
  const result = cli('create-random', '--preset', 'tiny', '--out', out);
  assert.equal(result.status, 0, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.match(lines[0]!, /^create-random: \d+ tensors, [\d.]+ MB to write$/);
  assert.match(lines.at(-1)!, /^create-random: wrote (\d+) tensors, [\d.]+ MB in \d+s, [\d.]+ [kMG]?B\/s$/);
  assert.doesNotMatch(result.stderr, /[\u2588\u2591]/, 'no bar');
  assert.ok(!result.stderr.includes('\u001b['), 'no escape codes');
  assert.match(result.stdout, /^wrote .*plain: tiny, 2 layers/);
});

const hasScript = spawnSync('script', ['--version']).status === 0;

test('on a terminal, progress is a bar', {
  skip: hasScript ? false : 'no script(1) to run under a terminal',
}, () => {
  const out = join(workDir, 'tty');
  const command = [process.execPath, CLI, 'create-random', '--preset', 'tiny', '--out', out]
    .map((arg) => `'${arg}'`)
    .join(' ');
  const result = spawnSync('script', ['-qec', command, '/dev/null'], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, COLUMNS: '120', TERM: 'xterm' },
  });
  assert.equal(result.status, 0, result.stdout);
  assert.match(
    result.stdout,
    /create-random \[[\u2588\u2591]{30}\] \d+% \| \d+\/\d+ tensors \| [\d.]+ [kMG]?B of /,
  );
  assert.match(result.stdout, /create-random: wrote \d+ tensors/);
  assert.ok(existsSync(join(out, 'model.onnx')));
});

function waitForExit(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

test('a run killed mid-write leaves nothing at --out, and the next run clears what it left', async () => {
  const out = join(workDir, 'killed');
  // bench is 233 MB of float32 weights: seconds of writing, so the kill lands inside it.
  const child = spawn(
    process.execPath,
    [CLI, 'create-random', '--preset', 'bench', '--external-data', '--out', out],
    { stdio: 'ignore' },
  );
  const exited = waitForExit(child);
  const data = join(`${out}.partial-${child.pid}`, 'model.onnx.data');
  const deadline = Date.now() + 60_000;
  while (!(existsSync(data) && statSync(data).size > 0)) {
    assert.ok(Date.now() < deadline, 'the write never started');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  child.kill('SIGKILL');
  await exited;
  assert.ok(!existsSync(out), 'no --out directory');
  assert.deepEqual(partialsBeside(out), [`killed.partial-${child.pid}`]);

  const again = cli('create-random', '--preset', 'tiny', '--out', out);
  assert.equal(again.status, 0, again.stderr);
  assert.ok(existsSync(join(out, 'model.onnx')));
  assert.deepEqual(partialsBeside(out), [], "the killed run's staging directory is removed");
});

test('a write that fails half-way leaves neither --out nor its staging directory', async () => {
  const vocab = defaultLlama2Vocab();
  const config = { ...PRESETS.tiny, vocabSize: vocab.pieces.length };
  const failing = 'model.layers.1.mlp.up_proj.weight';
  const read: string[] = [];
  const weights = {
    tensor(name: string) {
      read.push(name);
      if (name === failing) throw new Error('disk on fire');
      const shape = llamaTensorShapes(config).find((t) => t.name === name)!.shape;
      return new Float32Array(shape.reduce((a, b) => a * b, 1));
    },
  };
  const out = join(workDir, 'failed');
  await assert.rejects(writeModelDirectory({ outDir: out, config, weights, vocab }), /disk on fire/);
  assert.ok(read.length > 5, 'it failed after writing some tensors');
  assert.ok(!existsSync(out));
  assert.deepEqual(partialsBeside(out), []);
});
