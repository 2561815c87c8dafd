import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { llama2OnnxModelPath } from '../src/modelgen/layouts/llama2-onnx.js';
import { MERGED_DECODER_FILE } from '../src/modelgen/layouts/optimum-merged.js';
import { inMemorySource } from '../src/modelgen/llama-weights.js';
import { readLlama2cCheckpoint } from '../src/modelgen/llama2c-checkpoint.js';
import { writeModelDirectory } from '../src/modelgen/model-directory.js';
import { readModel } from '../src/modelgen/onnx/model-reader.js';
import { readVocabFile } from '../src/modelgen/vocab-file.js';
import { readSentencePieceModel } from '../src/tokenizer/sentencepiece-model.js';
import { aidreamsGreedyReference } from './helpers/aidreams.js';
import { genaiGreedyBatch, llama2OnnxGreedy, mergedGreedy } from './helpers/layout-greedy.js';
import { convertedAidreams } from './helpers/models.js';
import { fixture, fixturesMissing } from './helpers/paths.js';

const skip = fixturesMissing();
const workDir = mkdtempSync(join(tmpdir(), 'modelgen-layouts-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

const aidreams = () => readLlama2cCheckpoint(readFileSync(fixture('aidreams260K', 'model.bin')));

test('optimum-merged: decoder_model_merged.onnx with use_cache_branch reproduces llama2.c greedy (false, then true)', {
  skip,
}, async () => {
  const dir = await convertedAidreams({}, 'optimum-merged');
  const modelPath = join(dir, MERGED_DECODER_FILE);
  assert.ok(existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'tokenizer.json')));
  const model = readModel(modelPath);
  assert.deepEqual(model.opTypes, ['If'], 'one If node; the branches hold the decoder');
  assert.ok(model.inputs.some((i) => i.name === 'use_cache_branch' && i.elemType === 9));
  const { config } = aidreams();
  const session = await ort.InferenceSession.create(modelPath);
  for (const c of aidreamsGreedyReference()) {
    assert.deepEqual(await mergedGreedy(session, config, c.prompt_ids, c.max_new_tokens), c.generated_ids);
  }
});

test('optimum-merged without position_ids, weights in decoder_model_merged.onnx_data: same greedy texts', {
  skip,
}, async () => {
  const { config, weights } = aidreams();
  const dir = join(workDir, 'merged-no-positions');
  await writeModelDirectory({
    outDir: dir,
    config,
    weights: inMemorySource(weights),
    vocab: await readVocabFile(fixture('aidreams260K', 'tokenizer.bin'), config.vocabSize),
    layout: 'optimum-merged',
    graph: { positionIds: false },
    externalData: true,
  });
  assert.ok(existsSync(join(dir, `${MERGED_DECODER_FILE}_data`)));
  const session = await ort.InferenceSession.create(join(dir, MERGED_DECODER_FILE));
  assert.ok(!session.inputNames.includes('position_ids'));
  for (const c of aidreamsGreedyReference()) {
    assert.deepEqual(await mergedGreedy(session, config, c.prompt_ids, c.max_new_tokens), c.generated_ids);
  }
});

test('genai: GroupQueryAttention (rotary inside, growing past) serves both prompts right-padded in one batch', {
  skip,
}, async () => {
  const dir = await convertedAidreams({}, 'genai');
  assert.ok(existsSync(join(dir, 'model.onnx.data')), 'the builder always writes external data');
  assert.ok(!existsSync(join(dir, 'config.json')), 'genai directories carry genai_config.json instead');
  const genai = JSON.parse(readFileSync(join(dir, 'genai_config.json'), 'utf8'));
  assert.equal(genai.model.context_length, 128);
  assert.deepEqual(genai.model.eos_token_id, [2, 1]);
  assert.equal(genai.model.decoder.inputs.past_key_names, 'past_key_values.%d.key');
  assert.equal(genai.search.past_present_share_buffer, true);
  const model = readModel(join(dir, 'model.onnx'));
  assert.ok(model.opTypes.includes('GroupQueryAttention'));
  const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
  assert.deepEqual(session.inputNames.slice(0, 2), ['input_ids', 'attention_mask']);
  assert.ok(!session.inputNames.includes('position_ids'), 'genai_config declares none, the graph takes none');
  const cases = aidreamsGreedyReference();
  const { config } = aidreams();
  const generated = await genaiGreedyBatch(
    session,
    config,
    cases.map((c) => c.prompt_ids),
    cases[0]!.max_new_tokens,
  );
  cases.forEach((c, row) => {
    assert.deepEqual(generated[row], c.generated_ids, c.prompt);
  });
});

test('llama2-onnx: the later interface reproduces llama2.c greedy, with a 512 window and across re-padding', {
  skip,
}, async () => {
  const dir = await convertedAidreams({}, 'llama2-onnx');
  const vocab = readSentencePieceModel(readFileSync(join(dir, 'tokenizer.model')));
  const { config } = aidreams();
  assert.deepEqual(vocab, await readVocabFile(fixture('aidreams260K', 'tokenizer.bin'), config.vocabSize));
  const session = await ort.InferenceSession.create(
    join(dir, llama2OnnxModelPath(`${config.numLayers}L_float32`)),
  );
  assert.deepEqual(session.outputNames.slice(0, 3), ['logits', 'attn_mask_out', 'cache_out.0.key']);
  for (const c of aidreamsGreedyReference()) {
    assert.deepEqual(
      await llama2OnnxGreedy(session, config, c.prompt_ids, c.max_new_tokens),
      c.generated_ids,
    );
    // A window of 16 is left-padded twice or more on the way: the shift and the re-padding keep positions right.
    assert.deepEqual(
      await llama2OnnxGreedy(session, config, c.prompt_ids, c.max_new_tokens, 16),
      c.generated_ids,
    );
  }
});
