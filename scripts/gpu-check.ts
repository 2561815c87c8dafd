/**
 * The measuring half of scripts/gpu-check.sh (which prints the GPU and driver and bounds the time): random
 * float16 models of a preset's layer shapes (Llama-2-13b; `--small`: the bench preset) at 1 layer and at as
 * many layers as the creation budget allows (at most 8), decode steps at batch 1, 8 and 32 on each provider
 * that loads (cpu, webgpu, cuda; `--cpu-only`: cpu), then one JSON: step times, tokens/s extrapolated to the
 * preset's full depth, and the memory-bandwidth bound. Needs no network. Usage:
 * `node dist/scripts/gpu-check.js --out DIR [--cpu-only] [--small] [--layers N] [--budget-s S]`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type Bandwidth,
  extrapolate,
  GPU_CHECK_SCHEMA,
  type GpuCheckReport,
  gpuBandwidth,
  measureHostReadBandwidth,
  modelBytes,
  type ProviderRun,
  type ProviderStatus,
  type StepTiming,
} from '../src/bench/gpu-check.js';
import type { ExecutionProvider } from '../src/engine/execution-provider.js';
import { createRandomModel } from '../src/modelgen/create-random-model.js';
import { PRESETS, type PresetName } from '../src/modelgen/llama-config.js';

const BATCHES = [1, 8, 32];
const MAX_LAYERS = 8;
/** Share of the time budget spent writing models; the rest measures. */
const CREATE_SHARE = 0.35;

const log = (line: string) => process.stdout.write(`[gpu-check] ${line}\n`);

function gpuNames(): string[] {
  const smi = spawnSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return smi.status === 0 ? smi.stdout.split('\n').filter((line) => line.trim() !== '') : [];
}

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    'cpu-only': { type: 'boolean', default: false },
    small: { type: 'boolean', default: false },
    layers: { type: 'string' },
    'budget-s': { type: 'string', default: '450' },
  },
});
if (values.out === undefined) {
  process.stderr.write('gpu-check: --out DIR is required\n');
  process.exit(2);
}
const outDir = resolve(values.out);
const started = performance.now();
const budgetMs = Number(values['budget-s']) * 1000;
const elapsedMs = () => performance.now() - started;
const preset: PresetName = values.small ? 'bench' : 'llama-2-13b';
const fullLayers = PRESETS[preset].numLayers;
// The Optimum `present` graph: on WebGPU its KV cache stays on the device; cpu and cuda run it with the host cache.
const graph = { dtype: 'float16', kvOutputs: 'present', logits: 'last', fused: true } as const;
const steps = values.small ? 4 : 8;
// The GPU ones first: on a GPU machine they are the point, and the CPU is the slowest at these shapes.
const providers: ExecutionProvider[] = values['cpu-only'] ? ['cpu'] : ['cuda', 'webgpu', 'cpu'];

await mkdir(outDir, { recursive: true });
const startedAt = new Date().toISOString();

async function model(layers: number): Promise<{ dir: string; bytes: number; ms: number }> {
  const dir = join(outDir, `${preset}-${layers}-layers-float16`);
  const t0 = performance.now();
  if (!existsSync(join(dir, 'model.onnx'))) await createRandomModel({ preset, outDir: dir, layers, graph });
  const bytes = await modelBytes(dir);
  log(`${dir}: ${(bytes / 1e9).toFixed(2)} GB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { dir, bytes, ms: performance.now() - t0 };
}

const one = await model(1);
let layers = values.small ? 2 : MAX_LAYERS;
if (values.layers !== undefined) layers = Number(values.layers);
else if (!values.small) {
  // Per-layer bytes from the 1-layer model less the embedding and LM head (2 × vocab × hidden, float16).
  const { hiddenSize, vocabSize } = PRESETS[preset];
  const perLayerBytes = one.bytes - 2 * vocabSize * hiddenSize * 2;
  const bytesPerMs = one.bytes / Math.max(one.ms, 1);
  const affordable = Math.floor(((budgetMs * CREATE_SHARE - one.ms) * bytesPerMs) / perLayerBytes);
  layers = Math.max(2, Math.min(MAX_LAYERS, affordable));
}
const deep = await model(layers);
const bytesPerLayer = (deep.bytes - one.bytes) / (layers - 1);
const fullWeightBytes = one.bytes + bytesPerLayer * (fullLayers - 1);

const gpus = gpuNames();
const bandwidth: Record<string, Bandwidth> = { cpu: measureHostReadBandwidth() };
const gpuFigure = gpus[0] === undefined ? undefined : gpuBandwidth(gpus[0]);
if (gpuFigure) for (const provider of ['cuda', 'webgpu']) bandwidth[provider] = gpuFigure;

const statuses: ProviderStatus[] = [];
const timings: StepTiming[] = [];
const PROVIDER_SCRIPT = fileURLToPath(new URL('./gpu-check-provider.js', import.meta.url));

/**
 * One provider in a child process, ended when the budget runs out: the models it measured (in order), and why
 * it stopped short when it did.
 */
function measureProvider(provider: ExecutionProvider): Promise<{ runs: ProviderRun[]; error?: string }> {
  const remainingMs = budgetMs - elapsedMs();
  if (remainingMs < 10_000) return Promise.resolve({ runs: [], error: 'skipped: out of time' });
  return new Promise((resolveRun) => {
    const child = spawn(
      process.execPath,
      [PROVIDER_SCRIPT, provider, String(steps), BATCHES.join(','), one.dir, deep.dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr += text;
      for (const line of text.split('\n')) if (line.startsWith('[gpu-check]')) log(line.slice(12));
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), remainingMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const runs = stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as ProviderRun);
      if (code === 0) resolveRun({ runs });
      else if (signal === 'SIGKILL') {
        resolveRun({ runs, error: `stopped: out of time after ${(remainingMs / 1000).toFixed(0)} s` });
      } else {
        const reason = stderr
          .split('\n')
          .filter((line) => /Error/.test(line))
          .at(-1)
          ?.trim();
        resolveRun({ runs, error: reason ?? `the process ended with ${signal ?? `code ${code}`}` });
      }
    });
  });
}

for (const provider of providers) {
  const { runs, error } = await measureProvider(provider);
  if (error !== undefined) log(`${provider}: ${error}`);
  runs.forEach((run, i) => {
    timings.push(...run.timings.map((timing) => ({ ...timing, layers: i === 0 ? 1 : layers })));
  });
  statuses.push({
    provider,
    loaded: runs.length > 0,
    ...(runs[0] ? { deviceKvCache: runs[0].deviceKvCache } : {}),
    ...(error !== undefined ? { error } : {}),
  });
}

// Only where both depths were measured.
const extrapolated = statuses
  .filter((status) => status.loaded && status.error === undefined)
  .flatMap(({ provider }) =>
    BATCHES.map((batch) => {
      const at = (layerCount: number) => ({
        layers: layerCount,
        ms: timings.find((t) => t.provider === provider && t.batch === batch && t.layers === layerCount)!
          .medianStepMs,
      });
      return extrapolate(
        provider,
        batch,
        [at(1), at(layers)],
        fullLayers,
        fullWeightBytes,
        bandwidth[provider],
      );
    }),
  );

const report: GpuCheckReport = {
  schema: GPU_CHECK_SCHEMA,
  startedAt,
  finishedAt: new Date().toISOString(),
  machine: { cpus: availableParallelism(), memoryBytes: totalmem(), gpus },
  model: {
    preset,
    dtype: 'float16',
    layerCounts: [1, layers],
    weightBytes: [one.bytes, deep.bytes],
    bytesPerLayer,
    fullLayers,
    fullWeightBytes,
  },
  bandwidth,
  providers: statuses,
  steps: timings,
  extrapolated,
};
const reportPath = join(outDir, 'gpu-check.json');
await writeFile(reportPath, `${JSON.stringify(report, null, 2)}\n`);
for (const e of extrapolated) {
  const bound =
    e.bandwidthBoundTokensPerS === undefined
      ? ''
      : `, bandwidth bound ${e.bandwidthBoundTokensPerS.toFixed(1)}`;
  log(`${e.provider} batch ${e.batch}: ${e.tokensPerS.toFixed(1)} tokens/s at ${fullLayers} layers${bound}`);
}
log(`wrote ${reportPath} in ${(elapsedMs() / 1000).toFixed(0)} s`);
