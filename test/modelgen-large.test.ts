import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { createRandomModel, randomModelConfig } from '../src/modelgen/create-random-model.js';
import { buildLlamaGraph } from '../src/modelgen/llama-graph.js';
import { readModel } from '../src/modelgen/onnx/model-reader.js';
import {
  EXTERNAL_DATA_THRESHOLD,
  INLINE_MAX_BYTES,
  initializerBytes,
} from '../src/modelgen/onnx/model-writer.js';
import { DataType } from '../src/modelgen/onnx/onnx-proto.js';
import { runLlamaStep } from './helpers/models.js';
import { CLI } from './helpers/paths.js';

const workDir = mkdtempSync(join(tmpdir(), 'modelgen-large-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

/** Llama-2-13b's linear weights as the graph stores them ([in, out]). */
const LAYER_SHAPES: Record<string, number[]> = {
  'self_attn.q_proj.weight.T': [5120, 5120],
  'self_attn.k_proj.weight.T': [5120, 5120],
  'self_attn.v_proj.weight.T': [5120, 5120],
  'self_attn.o_proj.weight.T': [5120, 5120],
  'mlp.gate_proj.weight.T': [5120, 13824],
  'mlp.up_proj.weight.T': [5120, 13824],
  'mlp.down_proj.weight.T': [13824, 5120],
  'input_layernorm.weight': [5120],
  'post_attention_layernorm.weight': [5120],
};

test('llama-2-13b, shapes only: 40 layers, ~26 GB of float16 weights, so external data', () => {
  const config = randomModelConfig({ preset: 'llama-2-13b' });
  assert.equal(config.numLayers, 40);
  const graph = buildLlamaGraph(
    config,
    {
      tensor: () => {
        throw new Error('a shape-only build reads no weights');
      },
    },
    { dtype: 'float16' },
  );
  const bytes = initializerBytes(graph);
  assert.ok(bytes > 26e9 && bytes < 26.1e9, `${bytes} bytes`);
  assert.ok(bytes > EXTERNAL_DATA_THRESHOLD);
  const dims = new Map(graph.initializers.map((t) => [t.name, t.dims]));
  for (let layer = 0; layer < 40; layer++) {
    for (const [name, shape] of Object.entries(LAYER_SHAPES))
      assert.deepEqual(dims.get(`model.layers.${layer}.${name}`), shape);
  }
  assert.deepEqual(dims.get('model.embed_tokens.weight'), [32000, 5120]);
  assert.deepEqual(dims.get('lm_head.weight.T'), [5120, 32000]);
  const pastInputs = graph.inputs.filter((i) => i.name.startsWith('past_key_values.'));
  assert.equal(pastInputs.length, 80);
});

test('create-random --preset llama-2-13b --dtype float16 --layers 1 writes the 13b shapes with external data', () => {
  const out = join(workDir, '13b');
  const args = [
    'create-random',
    '--preset',
    'llama-2-13b',
    '--dtype',
    'float16',
    '--layers',
    '1',
    '--external-data',
  ];
  const result = spawnSync(process.execPath, [CLI, ...args, '--out', out], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);

  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(config.hidden_size, 5120);
  assert.equal(config.num_attention_heads, 40);
  assert.equal(config.num_key_value_heads, 40);
  assert.equal(config.intermediate_size, 13824);
  assert.equal(config.vocab_size, 32000);
  assert.equal(config.num_hidden_layers, 1);
  assert.equal(config.max_position_embeddings, 4096);
  assert.equal(config.torch_dtype, 'float16');

  const model = readModel(join(out, 'model.onnx'));
  const dims = new Map(model.initializers.map((t) => [t.name, t.dims]));
  for (const [name, shape] of Object.entries(LAYER_SHAPES))
    assert.deepEqual(dims.get(`model.layers.0.${name}`), shape);
  assert.deepEqual(dims.get('model.embed_tokens.weight'), [32000, 5120]);
  assert.deepEqual(dims.get('lm_head.weight.T'), [5120, 32000]);
  assert.deepEqual(
    model.outputs.find((o) => o.name === 'logits'),
    {
      name: 'logits',
      elemType: DataType.FLOAT16,
      // The serving defaults: logits for the last position only, and the new K/V alone per layer.
      dims: ['batch_size', 1, 32000],
    },
  );
  assert.deepEqual(model.outputs.find((o) => o.name === 'new_key_values.0.value')?.dims, [
    'batch_size',
    40,
    'sequence_length',
    128,
  ]);
  assert.ok(!model.outputs.some((o) => o.name.startsWith('present.')));
  assert.deepEqual(model.inputs.find((o) => o.name === 'past_key_values.0.key')?.dims, [
    'batch_size',
    40,
    'past_sequence_length',
    128,
  ]);

  // Every weight lives in model.onnx.data, back to back, and the file is exactly as long as they are;
  // only small constants (shapes, axes) stay inline, where ORT's shape inference can read them.
  let expectedOffset = 0;
  for (const t of model.initializers) {
    if (t.rawBytes > 0) {
      assert.ok(t.rawBytes < INLINE_MAX_BYTES, `${t.name} is inline with ${t.rawBytes} bytes`);
      continue;
    }
    assert.ok(t.external, `${t.name} is external`);
    assert.equal(t.external.location, 'model.onnx.data');
    assert.equal(t.external.offset, expectedOffset, t.name);
    const elementBytes = t.dataType === DataType.FLOAT16 ? 2 : t.dataType === DataType.INT64 ? 8 : 4;
    assert.equal(t.external.length, t.dims.reduce((a, b) => a * b, 1) * elementBytes, t.name);
    expectedOffset += t.external.length;
  }
  assert.equal(statSync(join(out, 'model.onnx.data')).size, expectedOffset);
  assert.ok(expectedOffset > 1.29e9, `${expectedOffset} bytes of weights`);
  rmSync(out, { recursive: true, force: true });
});

test('a model with external data loads by path and computes what the inline one does', async () => {
  const overrides = { hiddenSize: 32, intermediateSize: 64, numHeads: 4, numKvHeads: 2, numLayers: 1 };
  const inline = await createRandomModel({ preset: 'tiny', outDir: join(workDir, 'inline'), overrides });
  const external = await createRandomModel({
    preset: 'tiny',
    outDir: join(workDir, 'external'),
    overrides,
    externalData: true,
  });
  assert.equal(inline.externalData, false);
  assert.equal(external.externalData, true);
  assert.ok(statSync(join(workDir, 'external', 'model.onnx')).size < 100_000);
  const step = { ids: [[1, 2, 3]], mask: [[1, 1, 1]], positions: [[0, 1, 2]] };
  const run = async (dir: string, config: typeof inline.config) =>
    runLlamaStep(await ort.InferenceSession.create(join(dir, 'model.onnx')), config, step);
  const a = await run(inline.dir, inline.config);
  const b = await run(external.dir, external.config);
  assert.deepEqual(b.logits, a.logits);
});
