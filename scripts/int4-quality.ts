/**
 * `npm run int4-quality`: what int4 costs in quality on the one real trained model the fixtures have
 * (aidreams260K). Each int4 variant of it (block size, zero points, accuracy level) is compared with the float32
 * conversion over the llama2.c greedy references: teacher-forced, on each reference text, the share of
 * positions where its argmax is the reference's next token and the mean absolute difference of its logits from
 * float32's; free-running, how many greedy tokens it produces before it first departs from the reference.
 * Writes the `int4-quality` section of BENCHMARKS.md. Usage: `node dist/scripts/int4-quality.js [--out FILE]`.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { withSection } from '../src/bench/markdown-sections.js';
import { argmax } from '../src/engine/sampler.js';
import { convertLlama2c } from '../src/modelgen/convert-llama2c.js';
import type { Int4Options } from '../src/modelgen/int4/matmul-nbits.js';
import type { LlamaConfig } from '../src/modelgen/llama-config.js';
import { headDim } from '../src/modelgen/llama-config.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = join(process.env.SHARED_DIR ?? join(REPO_ROOT, '..', 'shared'), 'fixtures');

interface Reference {
  prompt: string;
  prompt_ids: number[];
  generated_ids: number[];
}

const VARIANTS: { label: string; int4: Int4Options }[] = [
  {
    label: 'block 32, symmetric, accuracy level 4 (the default)',
    int4: { blockSize: 32, symmetric: true, accuracyLevel: 4 },
  },
  {
    label: 'block 32, symmetric, accuracy level 0',
    int4: { blockSize: 32, symmetric: true, accuracyLevel: 0 },
  },
  {
    label: 'block 32, zero points, accuracy level 4',
    int4: { blockSize: 32, symmetric: false, accuracyLevel: 4 },
  },
  {
    label: 'block 32, zero points, accuracy level 0',
    int4: { blockSize: 32, symmetric: false, accuracyLevel: 0 },
  },
  {
    label: 'block 16, symmetric, accuracy level 4',
    int4: { blockSize: 16, symmetric: true, accuracyLevel: 4 },
  },
  {
    label: 'block 64, symmetric, accuracy level 4',
    int4: { blockSize: 64, symmetric: true, accuracyLevel: 4 },
  },
];

/** Logits [S, vocab] of one pass over `ids` from an empty past (a graph with logits for every position). */
async function logitsOf(
  session: ort.InferenceSession,
  config: LlamaConfig,
  ids: number[],
): Promise<Float32Array> {
  const int64 = (values: number[]) =>
    new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: int64(ids),
    attention_mask: int64(ids.map(() => 1)),
    position_ids: int64(ids.map((_, i) => i)),
  };
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (const kind of ['key', 'value']) {
      const dims = [1, config.numKvHeads, 0, headDim(config)];
      feeds[`past_key_values.${layer}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), dims);
    }
  }
  return (await session.run(feeds)).logits!.data as Float32Array;
}

interface Quality {
  /** Teacher-forced positions where the argmax is the reference's next token, over all positions. */
  agreed: number;
  positions: number;
  meanAbsLogitDiff: number;
  maxAbsLogitDiff: number;
  /** Per reference: free-running greedy tokens equal to the reference before the first difference. */
  freeRunPrefix: number[];
}

async function measure(
  modelDir: string,
  config: LlamaConfig,
  references: Reference[],
  float32?: Float32Array[],
) {
  const session = await ort.InferenceSession.create(join(modelDir, 'model.onnx'));
  const logits: Float32Array[] = [];
  const quality: Quality = {
    agreed: 0,
    positions: 0,
    meanAbsLogitDiff: 0,
    maxAbsLogitDiff: 0,
    freeRunPrefix: [],
  };
  let diffSum = 0;
  let diffCount = 0;
  try {
    for (const [r, reference] of references.entries()) {
      const ids = [...reference.prompt_ids, ...reference.generated_ids];
      const all = await logitsOf(session, config, ids);
      logits.push(all);
      const v = config.vocabSize;
      for (let i = reference.prompt_ids.length - 1; i < ids.length - 1; i++) {
        quality.positions++;
        if (argmax(all.subarray(i * v, (i + 1) * v)) === ids[i + 1]) quality.agreed++;
      }
      const base = float32?.[r];
      if (base) {
        for (let i = 0; i < all.length; i++) {
          const diff = Math.abs(all[i]! - base[i]!);
          diffSum += diff;
          diffCount++;
          quality.maxAbsLogitDiff = Math.max(quality.maxAbsLogitDiff, diff);
        }
      }
      const sequence = [...reference.prompt_ids];
      let prefix = 0;
      while (prefix < reference.generated_ids.length) {
        const last = (await logitsOf(session, config, sequence)).subarray(
          (sequence.length - 1) * v,
          sequence.length * v,
        );
        const next = argmax(last);
        if (next !== reference.generated_ids[prefix]) break;
        sequence.push(next);
        prefix++;
      }
      quality.freeRunPrefix.push(prefix);
    }
  } finally {
    await session.release();
  }
  quality.meanAbsLogitDiff = diffCount > 0 ? diffSum / diffCount : 0;
  return { logits, quality };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const outFile = values.out ?? join(REPO_ROOT, 'BENCHMARKS.md');
  const referencePath = join(FIXTURES, 'reference', 'aidreams260K-greedy.json');
  if (!existsSync(referencePath)) throw new Error(`fixtures not found at ${FIXTURES}`);
  const references = JSON.parse(await readFile(referencePath, 'utf8')) as Reference[];
  const work = await mkdtemp(join(tmpdir(), 'int4-quality-'));
  const convert = (name: string, int4?: Int4Options) =>
    convertLlama2c({
      checkpoint: join(FIXTURES, 'aidreams260K', 'model.bin'),
      tokenizer: join(FIXTURES, 'aidreams260K', 'tokenizer.bin'),
      outDir: join(work, name),
      // Logits at every position, for the teacher-forced comparison; otherwise the served graph.
      graph: { logits: 'all', fused: true, int4 },
    });
  try {
    const { config } = await convert('float32');
    const base = await measure(join(work, 'float32'), config, references);
    const rows = [{ label: 'float32 (the conversion itself)', quality: base.quality }];
    for (const [i, variant] of VARIANTS.entries()) {
      await convert(`int4-${i}`, variant.int4);
      const { quality } = await measure(join(work, `int4-${i}`), config, references, base.logits);
      rows.push({ label: `int4, ${variant.label}`, quality });
    }
    const total = references.reduce((sum, r) => sum + r.generated_ids.length, 0);
    const lines = [
      '## int4 quality on aidreams260K',
      '',
      `Written by \`npm run build && npm run int4-quality\` (\`scripts/int4-quality.ts\`) on ${new Date().toISOString()}.`,
      `aidreams260K (the llama2.c fixture: 4 layers, hidden ${config.hiddenSize}, vocab ${config.vocabSize}) converted`,
      'to float32 and to each int4 variant (every linear layer, lm_head included, as MatMulNBits; embedding float32),',
      `then run by ONNX Runtime over the ${references.length} llama2.c greedy references (${total} reference tokens).`,
      'Teacher-forced: each reference text (prompt + its greedy continuation) in one pass; "agreement" is the share',
      "of continuation positions where the model's argmax is the reference's next token, and the logit differences",
      'are against the float32 conversion at every position and vocabulary entry. Free-running: greedy tokens',
      'generated before the first that differs from the reference, per prompt.',
      '',
      '| model | greedy agreement (teacher-forced) | mean abs logit diff vs float32 | max abs logit diff | free-running tokens equal to the reference |',
      '| --- | --- | --- | --- | --- |',
      ...rows.map(
        ({ label, quality: q }) =>
          `| ${label} | ${q.agreed}/${q.positions} (${((100 * q.agreed) / q.positions).toFixed(1)}%) | ` +
          `${q.meanAbsLogitDiff.toFixed(4)} | ${q.maxAbsLogitDiff.toFixed(3)} | ` +
          `${q.freeRunPrefix.map((n, i) => `${n}/${references[i]!.generated_ids.length}`).join(', ')} |`,
      ),
      '',
      'Why symmetric (no zero points) is the default: zero points bought no measurable quality here (compare the',
      'block-32 rows), they add 2.5% of bytes (0.5 byte per 20-byte block), and in a quick check on a 13B-shaped',
      '2-layer graph on this shared machine the two ran at the same speed within its noise. The free-running column',
      'turns on single near-ties of a 260K-parameter model; the teacher-forced columns are the steadier figures.',
    ];
    const previous = existsSync(outFile) ? await readFile(outFile, 'utf8') : '# Benchmarks\n';
    await writeFile(outFile, withSection(previous, 'int4-quality', lines.join('\n')));
    process.stdout.write(`${lines.join('\n')}\n\nwrote ${relative(process.cwd(), outFile) || outFile}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`int4-quality: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
