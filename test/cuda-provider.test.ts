/**
 * The CUDA execution provider on a machine without it (as here and in CI): `npm run install-cuda-provider` runs
 * onnxruntime-node's own installer and fails with a clear line when NuGet cannot be reached (forced here through
 * a proxy on a closed loopback port, so a machine with the internet downloads nothing); asking for cuda by name
 * fails at start-up with the install hint ('auto' falling back to the CPU is in server-workers.test.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CUDA_PROVIDER_LIBRARIES, onnxRuntimeBinDir } from '../src/engine/execution-provider.js';
import { tinyRandomModel } from './helpers/models.js';
import { CLI, REPO_ROOT } from './helpers/paths.js';

const installed = CUDA_PROVIDER_LIBRARIES.every((lib) => existsSync(join(onnxRuntimeBinDir(), lib)));
const skip = installed && 'the CUDA provider is installed here';
// Without the caller's ONNXRUNTIME_NODE_INSTALL (CI exports `skip` for npm ci): each test sets its own.
const { ONNXRUNTIME_NODE_INSTALL: _callers, ...callerEnv } = process.env;
const OFFLINE = { ...callerEnv, GLOBAL_AGENT_HTTPS_PROXY: 'http://127.0.0.1:9' };

const installCudaProvider = (env: NodeJS.ProcessEnv) =>
  spawnSync('npm', ['run', '-s', 'install-cuda-provider'], {
    cwd: REPO_ROOT,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });

test('npm run install-cuda-provider runs onnxruntime-node’s installer, which says why it failed offline', {
  skip,
}, () => {
  const run = installCudaProvider(OFFLINE);
  assert.equal(run.status, 1);
  const first = run.stderr.split('\n').find((line) => line.startsWith('install-cuda-provider:'));
  // The installer got as far as the download (under `npm run` it would otherwise skip itself silently).
  assert.match(
    first ?? '',
    /could not install 'cuda12' \(Error: connect ECONNREFUSED 127\.0\.0\.1:9\).*needs the internet/,
  );
  for (const lib of CUDA_PROVIDER_LIBRARIES) assert.ok(!existsSync(join(onnxRuntimeBinDir(), lib)), lib);
});

test('install-cuda-provider passes ONNXRUNTIME_NODE_INSTALL on, and checks the libraries arrived', {
  skip,
}, () => {
  const run = installCudaProvider({ ...OFFLINE, ONNXRUNTIME_NODE_INSTALL: 'skip' });
  assert.equal(run.status, 1);
  assert.match(
    run.stderr,
    /the installer \(ONNXRUNTIME_NODE_INSTALL=skip\) finished but .*libonnxruntime_providers_shared\.so is missing/,
  );
});

test('serve and generate --provider cuda without the provider: exit 1 at once, one line with the install hint', {
  skip,
}, async () => {
  const modelDir = await tinyRandomModel();
  for (const args of [
    ['serve', '--model', modelDir, '--port', '0', '--provider', 'cuda'],
    ['generate', '--model', modelDir, '--prompt', 'Hi', '--provider', 'cuda'],
  ]) {
    const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 1, `${args[0]}: ${run.stderr}`);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(
      lines[0]!,
      /--provider cuda: the CUDA execution provider is not installed .*npm run install-cuda-provider/,
    );
  }
});
