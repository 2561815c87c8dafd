import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ModelLayout } from '../src/engine/model-files.js';
import type { LlamaGraphOptions } from '../src/modelgen/llama-graph.js';
import { servedAidreams } from './helpers/aidreams.js';
import { convertedAidreams } from './helpers/models.js';
import { CLI, fixturesMissing } from './helpers/paths.js';
import { postJson } from './helpers/server.js';

const skip = fixturesMissing();

/** aidreams260K written by modelgen in each layout users have, served through the real server's /score. */
const CASES: { name: string; layout: ModelLayout; graph: LlamaGraphOptions }[] = [
  { name: 'onnxruntime-genai (GroupQueryAttention, genai_config.json)', layout: 'genai', graph: {} },
  {
    name: 'Optimum merged (decoder_model_merged.onnx, use_cache_branch)',
    layout: 'optimum-merged',
    graph: {},
  },
  {
    name: 'Optimum merged without position_ids (one sequence per run)',
    layout: 'optimum-merged',
    graph: { positionIds: false },
  },
  { name: 'microsoft/Llama-2-Onnx later interface (sequences take turns)', layout: 'llama2-onnx', graph: {} },
  {
    name: 'our own --attention gqa (Optimum names, GroupQueryAttention)',
    layout: 'optimum',
    graph: { attention: 'gqa', kvOutputs: 'present', logits: 'last', fused: true },
  },
];

for (const { name, layout, graph } of CASES) {
  test(`${name}: /score reproduces llama2.c greedy, one prompt at a time and all in one request`, {
    skip,
  }, async () => {
    const { server, references } = await servedAidreams(await convertedAidreams(graph, layout));
    try {
      const score = (prompts: string[], parameters: Record<string, unknown>) =>
        postJson(`${server.url}/score`, { input_data: { input_string: prompts, parameters } });
      for (const reference of references) {
        const { status, json } = await score([reference.prompt], {
          do_sample: false,
          max_new_tokens: reference.max_new_tokens,
        });
        assert.equal(status, 200, JSON.stringify(json));
        assert.equal((json as Record<string, string>[])[0]!['0'], reference.full_text);
      }
      const { status, json } = await score(
        references.map((r) => r.prompt),
        { do_sample: false, max_new_tokens: references[0]!.max_new_tokens },
      );
      assert.equal(status, 200, JSON.stringify(json));
      references.forEach((reference, i) => {
        assert.equal((json as Record<string, string>[])[0]![String(i)], reference.full_text);
      });
    } finally {
      await server.close();
    }
  });
}

test('a --model directory that matches no layout: exit 2, one line listing what it holds and what each needs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'no-layout-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'weights.bin'), '');
  await writeFile(join(dir, 'config.json'), '{}');
  const result = spawnSync(process.execPath, [CLI, 'serve', '--model', dir, '--port', '0'], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 2, result.stderr);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, /matches no model layout: found \[config\.json, weights\.bin\]/);
  for (const needs of [
    'model.onnx',
    'decoder_model_merged.onnx',
    'genai_config.json',
    'ONNX/LlamaV2_<variant>.onnx',
  ]) {
    assert.ok(result.stderr.includes(needs), `names ${needs}`);
  }
});
