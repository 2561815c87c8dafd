/**
 * `npm run bench -- --preset llama-2-13b-int4` (or `llama-2-7b-int4`, or `--model DIR`): a model too large for
 * the interleaved rounds of the default benchmark, measured once, briefly, in this order so that only one copy
 * of its weights is ever in memory:
 *   1. (measured last) the machine's read bandwidth (all cores reading a 1 GiB buffer) → the bandwidth bound: bytes a decode
 *      step reads (every weight but the embedding table, of which a step gathers one row) ÷ bandwidth;
 *   2. a bare ONNX Runtime session (no server): load time, resident memory, decode steps at batch 1 and at the
 *      concurrency below; then released;
 *   3. `llama-endpoint serve` on the same model: load time, resident memory after load and under load, tokens/s
 *      of one client and of CONCURRENCY clients on /score.
 * Writes the `large-model-<name>` section of BENCHMARKS.md, with the machine's load beside the figures.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { basename, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DecodeLoop, type DecodeRepetition } from '../src/bench/decode-ceiling.js';
import { LoadTarget, summarizePhases } from '../src/bench/load-generator.js';
import { withSection } from '../src/bench/markdown-sections.js';
import { measureReadBandwidth } from '../src/bench/read-bandwidth.js';
import { sampleResidentMemory } from '../src/bench/resident-memory.js';
import { startServer } from '../src/bench/spawned-server.js';
import { createRandomModel } from '../src/modelgen/create-random-model.js';
import { DEFAULT_INT4 } from '../src/modelgen/int4/matmul-nbits.js';
import { SERVING_GRAPH } from '../src/modelgen/llama-graph.js';
import { readModel } from '../src/modelgen/onnx/model-reader.js';

/** Presets this benchmark creates when missing: random weights, every linear layer int4. */
export const LARGE_PRESETS = { 'llama-2-13b-int4': 'llama-2-13b', 'llama-2-7b-int4': 'llama-2-7b' } as const;
export type LargePreset = keyof typeof LARGE_PRESETS;

/** Short on purpose: a 13B decode step takes over a second here. */
const PROMPT_TOKENS = 8;
const NEW_TOKENS = 6;
const CONCURRENCY = 4;
/** KV rows as long as the workload needs, so the bare loop's cache is small. */
const CONTEXT_TOKENS = 64;
const MiB = 2 ** 20;

const log = (line: string) => process.stdout.write(`${line}\n`);

export interface LargeModelBenchOptions {
  repoRoot: string;
  outFile: string;
  preset?: LargePreset;
  modelDir?: string;
}

async function ensureModel(repoRoot: string, preset: LargePreset): Promise<string> {
  const dir = join(repoRoot, 'models', preset);
  if (existsSync(join(dir, 'model.onnx'))) return dir;
  log(`creating ${relative(repoRoot, dir)} (random weights, int4) …`);
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await createRandomModel({
    preset: LARGE_PRESETS[preset],
    outDir: partial,
    graph: { ...SERVING_GRAPH, int4: DEFAULT_INT4 },
  });
  await rename(partial, dir);
  return dir;
}

/** Bytes of the weights, and of those a decode step reads: all but the embedding table (one row is gathered). */
function weightBytes(modelDir: string): { total: number; perStep: number } {
  let total = 0;
  let perStep = 0;
  for (const tensor of readModel(join(modelDir, 'model.onnx')).initializers) {
    const bytes = tensor.external?.length ?? tensor.rawBytes;
    total += bytes;
    if (tensor.name !== 'model.embed_tokens.weight') perStep += bytes;
  }
  return { total, perStep };
}

const fileBytes = (modelDir: string) =>
  ['model.onnx', 'model.onnx.data']
    .map((name) => join(modelDir, name))
    .filter((path) => existsSync(path))
    .reduce((sum, path) => sum + statSync(path).size, 0);

const gb = (bytes: number) => (bytes / 1e9).toFixed(2);
const mib = (bytes: number) => (bytes / MiB).toFixed(0);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

/** ms per decode step and ms of prefill per row, from repetitions of the bare loop. */
function stepFigures(repetitions: DecodeRepetition[], batch: number) {
  const decodeS = repetitions.reduce((sum, r) => sum + (batch * NEW_TOKENS) / r.tokensPerS, 0);
  const stepMs = (1000 * decodeS) / (repetitions.length * NEW_TOKENS);
  const prefillMs = repetitions.reduce((sum, r) => sum + r.prefillMs, 0) / repetitions.length;
  return { stepMs, prefillMs, tokensPerS: (1000 * batch) / stepMs };
}

export async function runLargeModelBench(options: LargeModelBenchOptions): Promise<void> {
  const modelDir = options.modelDir ?? (await ensureModel(options.repoRoot, options.preset!));
  const name = options.preset ?? basename(modelDir);
  const cores = availableParallelism();
  const loadBefore = load();
  log(`${name}: ${relative(options.repoRoot, modelDir) || modelDir}; load average ${loadBefore}`);

  // (2) the bare session first, released before the server loads its own copy.
  const rssBefore = process.memoryUsage().rss;
  let started = performance.now();
  const loop = await DecodeLoop.open({
    modelDir,
    intraOpThreads: cores,
    promptTokens: PROMPT_TOKENS,
    decodeSteps: NEW_TOKENS,
    batches: [1, CONCURRENCY],
    contextTokens: CONTEXT_TOKENS,
  });
  const bareLoadS = (performance.now() - started) / 1000;
  const bareRss = process.memoryUsage().rss;
  log(
    `bare session: loaded in ${bareLoadS.toFixed(1)} s; this process ${mib(rssBefore)} → ${mib(bareRss)} MiB resident`,
  );
  let bare1: ReturnType<typeof stepFigures>;
  let bareC: ReturnType<typeof stepFigures>;
  try {
    await loop.repetition(1); // warm-up
    bare1 = stepFigures([await loop.repetition(1), await loop.repetition(1)], 1);
    log(
      `bare batch 1: ${bare1.stepMs.toFixed(0)} ms/step (${bare1.tokensPerS.toFixed(2)} tokens/s), prefill ${bare1.prefillMs.toFixed(0)} ms`,
    );
    bareC = stepFigures([await loop.repetition(CONCURRENCY)], CONCURRENCY);
    log(
      `bare batch ${CONCURRENCY}: ${bareC.stepMs.toFixed(0)} ms/step (${bareC.tokensPerS.toFixed(2)} tokens/s)`,
    );
  } finally {
    await loop.close();
  }
  // What the bare loop takes for one whole request like the server's: its prefill gives the first token.
  const bareRequestTokensPerS = (1000 * NEW_TOKENS) / (bare1.prefillMs + (NEW_TOKENS - 1) * bare1.stepMs);

  // (3) the server.
  started = performance.now();
  const server = await startServer(
    [
      '--model',
      modelDir,
      '--workers',
      '1',
      '--intra-op-threads',
      String(cores),
      '--max-batch-size',
      String(CONCURRENCY),
      '--max-model-len',
      String(CONTEXT_TOKENS),
    ],
    600_000,
  );
  const serverLoadS = (performance.now() - started) / 1000;
  const rss = server.pid === undefined ? undefined : sampleResidentMemory(server.pid, 500);
  let single: number;
  let concurrent: number;
  let afterLoadMiB = Number.NaN;
  let underLoadMiB = Number.NaN;
  try {
    afterLoadMiB = rss?.stop()[0] ?? Number.NaN;
    const sampler = server.pid === undefined ? undefined : sampleResidentMemory(server.pid, 500);
    const target = await LoadTarget.open({
      url: server.url,
      route: 'score',
      connections: CONCURRENCY,
      promptTokens: PROMPT_TOKENS,
      maxNewTokens: NEW_TOKENS,
      timeoutS: 600,
    });
    try {
      await target.phase(1, 1); // warm-up
      const rate = (concurrency: number, requests: number) =>
        target.phase(concurrency, requests).then((phase) => {
          const summary = summarizePhases(target, concurrency, [phase]);
          if (summary.requests.ok === 0) throw new Error(`${concurrency} clients: every request failed`);
          return summary.generatedTokensPerS;
        });
      single = await rate(1, 2);
      log(`server, 1 client: ${single.toFixed(2)} tokens/s`);
      concurrent = await rate(CONCURRENCY, CONCURRENCY);
      log(`server, ${CONCURRENCY} clients: ${concurrent.toFixed(2)} tokens/s`);
    } finally {
      await target.close();
      underLoadMiB = Math.max(...(sampler?.stop() ?? [Number.NaN]));
    }
  } finally {
    await server.stop(30_000);
  }
  // (1) last, when no model is in memory: the bandwidth bound.
  const bandwidth = await measureReadBandwidth();
  const weights = weightBytes(modelDir);
  const boundTokensPerS = bandwidth.bytesPerS / weights.perStep;
  log(
    `read bandwidth ${gb(bandwidth.bytesPerS)} GB/s (${bandwidth.threads} threads, best of ${bandwidth.passes.length}); ` +
      `a step reads ${gb(weights.perStep)} GB → bound ${boundTokensPerS.toFixed(2)} tokens/s at batch 1`,
  );
  const loadAfter = load();
  log(
    `server: loaded in ${serverLoadS.toFixed(1)} s, ${afterLoadMiB.toFixed(0)} MiB resident after load, ${underLoadMiB.toFixed(0)} MiB at most under load; load average ${loadAfter}`,
  );

  const serverOverBare = single / bareRequestTokensPerS;
  const bareOverBound = bare1.tokensPerS / boundTokensPerS;
  const command = options.preset
    ? `npm run bench -- --preset ${options.preset}`
    : `npm run bench -- --model ${modelDir}`;
  const lines = [
    `## ${name}`,
    '',
    `Written by \`${command}\` (\`scripts/bench-large-model.ts\`) on ${new Date().toISOString()}; ${cpus()[0]?.model.trim() ?? 'CPU'}, ${cores} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB.`,
    `**Machine load** (1/5/15-minute load average; other work shared these ${cores} cores): ${loadBefore} before, ${loadAfter} after.`,
    `Model: ${relative(options.repoRoot, modelDir) || modelDir}, ${gb(fileBytes(modelDir))} GB on disk; a decode step reads ${gb(weights.perStep)} GB`,
    `(every weight but the embedding table). Workload: ${PROMPT_TOKENS}-token prompts, ${NEW_TOKENS} new tokens, greedy, /score; ${CONCURRENCY} concurrent clients.`,
    '',
    '| figure | value |',
    '| --- | --- |',
    `| read bandwidth (${bandwidth.threads} threads, ${mib(bandwidth.bufferBytes)} MiB buffer, best of ${bandwidth.passes.length}) | ${gb(bandwidth.bytesPerS)} GB/s |`,
    `| bandwidth bound at batch 1 (step bytes ÷ bandwidth) | ${boundTokensPerS.toFixed(2)} tokens/s (${(1000 / boundTokensPerS).toFixed(0)} ms/step) |`,
    `| bare ONNX Runtime: session load | ${bareLoadS.toFixed(1)} s; the benchmark process ${mib(rssBefore)} → ${mib(bareRss)} MiB resident |`,
    `| bare decode, batch 1 | ${bare1.stepMs.toFixed(0)} ms/step = ${bare1.tokensPerS.toFixed(2)} tokens/s; prefill of ${PROMPT_TOKENS} tokens ${bare1.prefillMs.toFixed(0)} ms |`,
    `| bare decode, batch ${CONCURRENCY} | ${bareC.stepMs.toFixed(0)} ms/step = ${bareC.tokensPerS.toFixed(2)} tokens/s |`,
    `| **bare ÷ bandwidth bound**, batch 1 (target ≥ 0.6) | **${bareOverBound.toFixed(2)}** |`,
    `| server: start to ready | ${serverLoadS.toFixed(1)} s |`,
    `| server resident memory: after load / most under load | ${afterLoadMiB.toFixed(0)} / ${underLoadMiB.toFixed(0)} MiB |`,
    `| server, 1 client (whole requests) | ${single.toFixed(2)} tokens/s; the bare loop's same request (prefill + ${NEW_TOKENS - 1} steps) ${bareRequestTokensPerS.toFixed(2)} tokens/s |`,
    `| **server ÷ bare**, batch 1, whole requests (target ≥ 0.9) | **${serverOverBare.toFixed(2)}** (÷ the bare decode rate alone: ${(single / bare1.tokensPerS).toFixed(2)}) |`,
    `| server, ${CONCURRENCY} clients | ${concurrent.toFixed(2)} tokens/s (${(concurrent / single).toFixed(2)}× one client; bare batch ${CONCURRENCY} decode ${bareC.tokensPerS.toFixed(2)}) |`,
  ];
  const previous = existsSync(options.outFile) ? await readFile(options.outFile, 'utf8') : '# Benchmarks\n';
  await writeFile(options.outFile, withSection(previous, `large-model-${name}`, lines.join('\n')));
  log(`${lines.join('\n')}\n\nwrote ${relative(process.cwd(), options.outFile) || options.outFile}`);
}
