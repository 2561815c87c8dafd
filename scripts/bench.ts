/**
 * `npm run bench`: the committed benchmark. (a) the bare ONNX Runtime decode ceiling on the `bench` preset
 * (and, for reference, the same loop at batch 16), (b) the server's single-stream rate, (c) its aggregate rate
 * with 16 concurrent clients; prints the ratios b/a and c/b and rewrites BENCHMARKS.md. Usage:
 * `node dist/scripts/bench.js [--out FILE]`.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { arch, availableParallelism, cpus, release, totalmem, type } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { env as ortEnv } from 'onnxruntime-node';
import {
  type BenchmarkRun,
  ratios,
  renderBenchmarksMarkdown,
  type StepShape,
  type StepTimeRow,
  TARGETS,
} from '../src/bench/benchmarks-markdown.js';
import { measureDecodeCeiling } from '../src/bench/decode-ceiling.js';
import { type BenchOptions, type BenchResult, runBench } from '../src/bench/load-generator.js';
import { percentile } from '../src/bench/percentiles.js';
import { formatReport } from '../src/bench/report.js';
import { sampleResidentMemory } from '../src/bench/resident-memory.js';
import { startServer } from '../src/bench/spawned-server.js';
import { createRandomModel } from '../src/modelgen/create-random-model.js';
import { type LlamaGraphOptions, SERVING_GRAPH } from '../src/modelgen/llama-graph.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MODEL_DIR = join(REPO_ROOT, 'models', 'bench');
const PRESET = 'bench';

/** The workload the acceptance criteria name: 32-token prompts, 64 new tokens, 16 concurrent clients. */
const PROMPT_TOKENS = 32;
const NEW_TOKENS = 64;
const CONCURRENCY = 16;
const CEILING_REPETITIONS = 5;
const SINGLE = { requests: 16, warmup: 2 };
const CONCURRENT = { requests: 6 * CONCURRENCY, warmup: CONCURRENCY };

/**
 * Decode step time of the graph and KV cache before this server's in-place cache, and after it, with plain and
 * fused ops: the bare loop of (a) at each shape, in the same run. Long contexts show what the copy cost.
 */
const VARIANTS: { label: string; dir: string; graph: LlamaGraphOptions }[] = [
  {
    label: 'before: Optimum graph (returns present), host KV cache',
    dir: join(REPO_ROOT, 'models', 'bench-optimum'),
    graph: { kvOutputs: 'present', logits: 'all' },
  },
  {
    label: 'new K/V only, in-place slot KV cache, plain ops',
    dir: join(REPO_ROOT, 'models', 'bench-plain-ops'),
    graph: { ...SERVING_GRAPH, fused: false },
  },
  { label: 'after (served): new K/V only, slot KV cache, fused ops', dir: MODEL_DIR, graph: SERVING_GRAPH },
];
const STEP_SHAPES: StepShape[] = [
  { batch: 1, promptTokens: PROMPT_TOKENS, decodeSteps: NEW_TOKENS },
  { batch: CONCURRENCY, promptTokens: PROMPT_TOKENS, decodeSteps: NEW_TOKENS },
  { batch: CONCURRENCY, promptTokens: 480, decodeSteps: 32 },
];
const STEP_ROUNDS = 5;
/** How often the server's resident memory is read during (c). */
const RSS_INTERVAL_MS = 250;

const log = (line: string) => process.stdout.write(`${line}\n`);

/** The share of CPU time spent on anything but idle across all cores over `ms`: is someone else running? */
async function cpuBusy(ms: number): Promise<number> {
  const totals = () =>
    cpus().reduce(
      (sum, cpu) => {
        const { idle, user, nice, sys, irq } = cpu.times;
        return { idle: sum.idle + idle, all: sum.all + idle + user + nice + sys + irq };
      },
      { idle: 0, all: 0 },
    );
  const before = totals();
  await delay(ms);
  const after = totals();
  const all = after.all - before.all;
  return all > 0 ? 1 - (after.idle - before.idle) / all : 0;
}

/** Written beside its place and renamed, so an interrupted run leaves no half model that looks whole. */
async function ensureModel(dir: string, graph: LlamaGraphOptions): Promise<void> {
  if (existsSync(join(dir, 'model.onnx'))) return;
  log(`creating the ${PRESET} model in ${relative(REPO_ROOT, dir)} …`);
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await createRandomModel({ preset: PRESET, outDir: partial, graph });
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
}

/**
 * ms per decode step of every variant at every shape: rounds that take each variant and shape in turn (one
 * timed repetition each), then the median of the rounds, so a machine that changes speed mid-run weighs on
 * every variant alike.
 */
async function measureStepTimes(intraOpThreads: number): Promise<StepTimeRow[]> {
  for (const variant of VARIANTS) await ensureModel(variant.dir, variant.graph);
  const samples = VARIANTS.map(() => STEP_SHAPES.map((): number[] => []));
  for (let round = 0; round < STEP_ROUNDS; round++) {
    for (const [v, variant] of VARIANTS.entries()) {
      for (const [s, shape] of STEP_SHAPES.entries()) {
        const ceiling = await measureDecodeCeiling({
          modelDir: variant.dir,
          intraOpThreads,
          ...shape,
          repetitions: 1,
        });
        samples[v]![s]!.push((shape.batch * 1000) / ceiling.tokensPerS);
      }
    }
  }
  return VARIANTS.map((variant, v) => {
    const msPerStep = samples[v]!.map((times) =>
      percentile(
        [...times].sort((x, y) => x - y),
        50,
      ),
    );
    log(`  ${variant.label}: ${msPerStep.map((ms) => ms.toFixed(1)).join(' / ')} ms per step`);
    return { variant: variant.label, msPerStep };
  });
}

async function modelShape(): Promise<Record<string, unknown>> {
  const config = JSON.parse(await readFile(join(MODEL_DIR, 'config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const keys = [
    'hidden_size',
    'num_hidden_layers',
    'num_attention_heads',
    'num_key_value_heads',
    'intermediate_size',
    'vocab_size',
    'torch_dtype',
  ];
  return Object.fromEntries(keys.filter((key) => key in config).map((key) => [key, config[key]]));
}

function modelSizeMiB(): number {
  const files = ['model.onnx', 'model.onnx.data', 'model.onnx_data'].map((name) => join(MODEL_DIR, name));
  return (
    files.filter((file) => existsSync(file)).reduce((sum, file) => sum + statSync(file).size, 0) / 2 ** 20
  );
}

async function measureServer(url: URL, label: string, concurrency: number, counts: typeof SINGLE) {
  const options: BenchOptions = {
    url,
    route: 'auto',
    concurrency,
    requests: counts.requests,
    durationS: 600,
    promptTokens: PROMPT_TOKENS,
    maxNewTokens: NEW_TOKENS,
    timeoutS: 300,
    warmupRequests: counts.warmup,
  };
  log(`\n${label}`);
  const result = await runBench(options);
  log(formatReport(result));
  if (result.requests.ok === 0) throw new Error(`${label}: every request failed`);
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const outFile = values.out ?? join(REPO_ROOT, 'BENCHMARKS.md');
  const cores = availableParallelism();
  const busyBeforeRun = await cpuBusy(2000);
  if (busyBeforeRun > 0.1)
    log(`note: the CPUs were ${(busyBeforeRun * 100).toFixed(0)}% busy before the run`);
  // One worker using every core: the server's own default for one worker, and what (a) gets too.
  const server = { workers: 1, intraOpThreads: Math.max(1, cores), maxBatchSize: CONCURRENCY };

  await ensureModel(MODEL_DIR, SERVING_GRAPH);
  const ceilingAt = async (batch: number) => {
    log(
      `bare decode ceiling at batch ${batch}: ${PROMPT_TOKENS}-token prefill, then ${NEW_TOKENS} decode steps …`,
    );
    const ceiling = await measureDecodeCeiling({
      modelDir: MODEL_DIR,
      intraOpThreads: server.intraOpThreads,
      promptTokens: PROMPT_TOKENS,
      decodeSteps: NEW_TOKENS,
      batch,
      repetitions: CEILING_REPETITIONS,
    });
    log(`  ${ceiling.tokensPerS.toFixed(1)} tokens/s (median of ${CEILING_REPETITIONS})`);
    return ceiling;
  };
  const ceiling = await ceilingAt(1);
  const batchedCeiling = await ceilingAt(CONCURRENCY);

  log('starting the server …');
  const spawned = await startServer([
    '--model',
    MODEL_DIR,
    '--workers',
    String(server.workers),
    '--intra-op-threads',
    String(server.intraOpThreads),
    '--max-batch-size',
    String(server.maxBatchSize),
  ]);
  let single: BenchResult;
  let concurrent: BenchResult;
  let serverRssMiB: number[] = [];
  try {
    single = await measureServer(spawned.url, '(b) one client', 1, SINGLE);
    const rss = spawned.pid === undefined ? undefined : sampleResidentMemory(spawned.pid, RSS_INTERVAL_MS);
    try {
      concurrent = await measureServer(
        spawned.url,
        `(c) ${CONCURRENCY} concurrent clients`,
        CONCURRENCY,
        CONCURRENT,
      );
    } finally {
      serverRssMiB = rss?.stop() ?? [];
    }
  } finally {
    const code = await spawned.stop(10_000);
    if (code === null) log('note: the server did not exit within 10 s of SIGTERM and was killed');
    else if (code !== 0) log(`note: the server exited with code ${code} on SIGTERM`);
  }

  // After the server: (a), (b) and (c) run back to back, so a drifting machine moves them together.
  log(
    `decode step time by graph and KV cache (${STEP_SHAPES.map((s) => `batch ${s.batch}, context ${s.promptTokens} → ${s.promptTokens + s.decodeSteps}`).join(' / ')}) …`,
  );
  const stepTimes = await measureStepTimes(server.intraOpThreads);

  const run: BenchmarkRun = {
    date: new Date().toISOString(),
    command: 'npm run build && npm run bench',
    machine: {
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      cores,
      busyBeforeRun,
      memoryGiB: totalmem() / 2 ** 30,
      os: `${type()} ${release()} ${arch()}`,
      node: process.version,
      onnxruntime: ortEnv.versions.node ?? ortEnv.versions.common,
    },
    model: {
      dir: relative(REPO_ROOT, MODEL_DIR),
      preset: PRESET,
      shape: await modelShape(),
      sizeMiB: modelSizeMiB(),
    },
    server,
    decodeSteps: NEW_TOKENS,
    repetitions: CEILING_REPETITIONS,
    warmupRequests: { single: SINGLE.warmup, concurrent: CONCURRENT.warmup },
    ceiling,
    batchedCeiling,
    single,
    concurrent,
    stepShapes: STEP_SHAPES,
    stepRounds: STEP_ROUNDS,
    stepTimes,
    serverRssMiB,
  };
  const r = ratios(run);
  log('');
  log(`(a) bare decode ceiling        ${ceiling.tokensPerS.toFixed(1)} tokens/s`);
  log(
    `    same, batch ${CONCURRENCY}           ${batchedCeiling.tokensPerS.toFixed(1)} tokens/s (reference)`,
  );
  log(`(b) server, one client         ${single.generatedTokensPerS.toFixed(1)} tokens/s`);
  log(`(c) server, ${CONCURRENCY} clients        ${concurrent.generatedTokensPerS.toFixed(1)} tokens/s`);
  log(`b/a = ${r.singleOverCeiling.toFixed(3)} (target ≥ ${TARGETS.singleOverCeiling})`);
  log(`c/b = ${r.concurrentOverSingle.toFixed(2)} (target ≥ ${TARGETS.concurrentOverSingle})`);
  log(`machine: ${run.machine.cpuModel}, ${cores} cores`);
  await writeFile(outFile, renderBenchmarksMarkdown(run));
  log(`wrote ${relative(process.cwd(), outFile) || outFile}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
