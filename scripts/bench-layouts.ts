/**
 * `node dist/scripts/bench-layouts.js`: decode step time of every model layout the server loads, on the `bench`
 * preset, at batch 1 and 8 with context 480 → 512, through the engine's own loader and runner (what a worker runs,
 * minus sampling); and, for the onnxruntime-genai GroupQueryAttention graph, the cost of each way its past can be
 * fed. Rounds take every layout in turn; the median of the rounds is reported. Rewrites the "Model layouts"
 * section at the end of BENCHMARKS.md (`--out FILE` for another file).
 */
import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { LAYOUTS_SECTION } from '../src/bench/benchmarks-markdown.js';
import { withSection } from '../src/bench/markdown-sections.js';
import { median } from '../src/bench/percentiles.js';
import { loadModel } from '../src/engine/load-model.js';
import { findModelFiles, type ModelLayout } from '../src/engine/model-files.js';
import { createRandomModel } from '../src/modelgen/create-random-model.js';
import { headDim, PRESETS } from '../src/modelgen/llama-config.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PRESET = 'bench';
const CONTEXT = { promptTokens: 480, decodeSteps: 32 };
const BATCHES = [1, 8];
const ROUNDS = 2;
const THREADS = 2;

const LAYOUTS: { layout: ModelLayout; label: string }[] = [
  { layout: 'optimum', label: 'optimum, as served by default (new K/V only, in-place slot KV cache)' },
  {
    layout: 'optimum-merged',
    label: 'optimum-merged (decoder_model_merged.onnx, returns present, host KV cache)',
  },
  {
    layout: 'genai',
    label: "genai (GroupQueryAttention, past fed at the rows' capacity, present read back)",
  },
  { layout: 'llama2-onnx', label: 'llama2-onnx (batch 1 per run: the sequences take turns)' },
];

const log = (line: string) => process.stdout.write(`${line}\n`);
const modelDir = (layout: ModelLayout) => join(REPO_ROOT, 'models', `bench-layout-${layout}`);

async function ensureModel(layout: ModelLayout): Promise<void> {
  const dir = modelDir(layout);
  if (existsSync(dir)) return;
  log(`creating the ${PRESET} model in the ${layout} layout …`);
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await createRandomModel({ preset: PRESET, outDir: partial, layout });
  await rename(partial, dir);
}

/** ms per decode step at `batch` rows, each prefilled with the same prompt, through the engine's runner. */
async function engineStepMs(layout: ModelLayout, batch: number): Promise<number> {
  const { runner } = await loadModel(
    { modelDir: modelDir(layout), provider: 'cpu', deviceId: 0, intraOpThreads: THREADS, maxBatchSize: 8 },
    log,
  );
  try {
    const prompt = [1, ...Array.from({ length: CONTEXT.promptTokens - 1 }, (_, i) => 100 + (i % 1000))];
    const ids = Array.from({ length: batch }, (_, row) => `s${row}`);
    for (const id of ids) {
      await runner.prefill(id, prompt);
      runner.join(id);
    }
    const tokens = ids.map(() => 42);
    await runner.decode(ids, tokens);
    const start = performance.now();
    for (let step = 1; step < CONTEXT.decodeSteps; step++) await runner.decode(ids, tokens);
    return (performance.now() - start) / (CONTEXT.decodeSteps - 1);
  } finally {
    await runner.close();
  }
}

/**
 * The genai graph's past at batch 8, context 512, fed three ways (raw runs of the same step, repeated): a past
 * exactly as long as the context with present fetched as a new tensor (what the engine does), and one buffer
 * bound as both past and present (genai's past_present_share_buffer), of the full max length or close to the
 * context. onnxruntime-node copies every output into a fresh buffer, the bound one too.
 */
async function gqaPastMs(): Promise<{ label: string; ms: number }[]> {
  const config = PRESETS[PRESET];
  const { modelPath } = findModelFiles(modelDir('genai'));
  const session = await InferenceSession.create(modelPath, { intraOpNumThreads: THREADS });
  const rows = 8;
  const context = CONTEXT.promptTokens + CONTEXT.decodeSteps;
  const hd = headDim(config);
  const buffer = (width: number) =>
    new Tensor('float32', new Float32Array(rows * config.numKvHeads * width * hd), [
      rows,
      config.numKvHeads,
      width,
      hd,
    ]);
  const time = async (width: number, shared: boolean) => {
    const mask = new BigInt64Array(rows * (context + 1)).fill(1n);
    const feeds: Record<string, Tensor> = {
      input_ids: new Tensor('int64', new BigInt64Array(rows).fill(42n), [rows, 1]),
      attention_mask: new Tensor('int64', mask, [rows, context + 1]),
    };
    const fetches: Record<string, Tensor | null> = { logits: null };
    for (let layer = 0; layer < config.numLayers; layer++) {
      for (const kind of ['key', 'value']) {
        const past = buffer(width);
        feeds[`past_key_values.${layer}.${kind}`] = past;
        fetches[`present.${layer}.${kind}`] = shared ? past : null;
      }
    }
    await session.run(feeds, fetches);
    const samples: number[] = [];
    for (let i = 0; i < 8; i++) {
      const start = performance.now();
      await session.run(feeds, fetches);
      samples.push(performance.now() - start);
    }
    return median(samples);
  };
  const result = [
    {
      label: `past of the context (${context}), present fetched as a new tensor`,
      ms: await time(context, false),
    },
    {
      label: `one buffer bound as past and present, close to the context (${context + 32})`,
      ms: await time(context + 32, true),
    },
    {
      label: `one buffer bound as past and present, full max length (${config.maxPositions})`,
      ms: await time(config.maxPositions, true),
    },
  ];
  await session.release();
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const out = values.out ?? join(REPO_ROOT, 'BENCHMARKS.md');
  for (const { layout } of LAYOUTS) await ensureModel(layout);
  const load = loadavg()[0]!;
  const samples = LAYOUTS.map(() => BATCHES.map((): number[] => []));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [l, { layout }] of LAYOUTS.entries()) {
      for (const [b, batch] of BATCHES.entries()) {
        const ms = await engineStepMs(layout, batch);
        samples[l]![b]!.push(ms);
        log(`round ${round + 1}: ${layout} batch ${batch}: ${ms.toFixed(1)} ms per step`);
      }
    }
  }
  const gqa = await gqaPastMs();
  const reference = median(samples[0]![1]!);
  const lines = [
    LAYOUTS_SECTION,
    '',
    `Written by \`node dist/scripts/bench-layouts.js\` (\`scripts/bench-layouts.ts\`) on ${new Date().toISOString()}: ` +
      `the \`${PRESET}\` preset written in each layout by \`create-random --layout\`, loaded by the engine as the server ` +
      `loads it; ms per decode step (one token for every row) at context ${CONTEXT.promptTokens} → ` +
      `${CONTEXT.promptTokens + CONTEXT.decodeSteps}, the median of ${ROUNDS} rounds that take every layout in turn. ` +
      `${cpus().length} cores, load average ${load.toFixed(2)} when it started (other work shared the machine: ` +
      'compare the rows with each other, not with other runs).',
    '',
    `| layout | ${BATCHES.map((b) => `batch ${b}`).join(' | ')} | batch ${BATCHES.at(-1)} vs the served default |`,
    `| --- | ${BATCHES.map(() => '---').join(' | ')} | --- |`,
    ...LAYOUTS.map(({ label }, l) => {
      const ms = samples[l]!.map(median);
      return `| ${label} | ${ms.map((m) => m.toFixed(1)).join(' | ')} | ${(ms.at(-1)! / reference).toFixed(2)}× |`;
    }),
    '',
    `The genai graph's past at batch 8, context ${CONTEXT.promptTokens + CONTEXT.decodeSteps}, fed three ways (raw ` +
      'runs of one step, ms, median of 8):',
    '',
    '| past and present | ms per step |',
    '| --- | --- |',
    ...gqa.map(({ label, ms }) => `| ${label} | ${ms.toFixed(1)} |`),
    '',
  ];
  // Its own section of BENCHMARKS.md, which scripts/bench.ts keeps when it rewrites the rest.
  const existing = existsSync(out) ? await readFile(out, 'utf8') : '';
  await writeFile(out, withSection(existing, 'layouts', lines.join('\n')));
  log(lines.join('\n'));
}

await main();
