import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chatCompletionRequestSchema } from '../schemas/openai-chat-request.js';
import { completionRequestSchema } from '../schemas/openai-completion-request.js';
import { openAiGenerationOptions } from '../src/server/openai/openai-parameters.js';

const noDefaults = {};

test('OpenAI defaults: sampling at temperature 1, 16 tokens, no stop strings', () => {
  const { sampling, stopping } = openAiGenerationOptions({}, undefined, noDefaults);
  assert.deepEqual(sampling, {
    doSample: true,
    temperature: 1,
    topP: 1,
    topK: 0,
    repetitionPenalty: 1,
    presencePenalty: 0,
    frequencyPenalty: 0,
    seed: undefined,
  });
  assert.deepEqual(stopping, { maxNewTokens: 16, stop: [], ignoreEos: false });
});

test('temperature 0 is greedy; every parameter and vLLM extra reaches the engine', () => {
  const { sampling, stopping } = openAiGenerationOptions(
    {
      temperature: 0,
      top_p: 0.5,
      top_k: 40,
      repetition_penalty: 1.3,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      seed: 7,
      stop: 'END',
      ignore_eos: true,
    },
    5,
    noDefaults,
  );
  assert.equal(sampling.doSample, false);
  assert.deepEqual(
    { ...sampling, doSample: undefined },
    {
      doSample: undefined,
      temperature: 0,
      topP: 0.5,
      topK: 40,
      repetitionPenalty: 1.3,
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      seed: 7,
    },
  );
  assert.deepEqual(stopping, { maxNewTokens: 5, stop: ['END'], ignoreEos: true });
});

test('null means not given: generation_config.json defaults apply; top_k -1 is off', () => {
  const defaults = { temperature: 0.6, topP: 0.9, maxNewTokens: 64, doSample: false, repetitionPenalty: 1.1 };
  const { sampling, stopping } = openAiGenerationOptions(
    { temperature: null, top_p: null, stop: null, seed: null, top_k: -1 },
    undefined,
    defaults,
  );
  // do_sample false in generation_config.json does not turn OpenAI's sampling off; temperature 0 does.
  assert.equal(sampling.doSample, true);
  assert.equal(sampling.temperature, 0.6);
  assert.equal(sampling.topP, 0.9);
  assert.equal(sampling.topK, 0);
  assert.equal(sampling.repetitionPenalty, 1.1);
  assert.equal(stopping.maxNewTokens, 64);
  assert.deepEqual(stopping.stop, []);
});

test('the request schemas take what the openai client sends and refuse what the server cannot do', () => {
  const completion = completionRequestSchema.safeParse({
    model: 'anything',
    prompt: ['a', 'b'],
    max_tokens: 3,
    stream: true,
    stream_options: { include_usage: true },
    logit_bias: { 50256: -100 },
  });
  assert.ok(completion.success);
  // Unknown and unimplemented fields are dropped, as /score ignores unknown parameters.
  assert.equal('logit_bias' in completion.data, false);
  for (const prompt of ['text', ['a'], [1, 2, 3], [[1], [2, 3]]]) {
    assert.ok(completionRequestSchema.safeParse({ prompt }).success, JSON.stringify(prompt));
  }
  for (const bad of [
    { prompt: 'x', n: 2 },
    { prompt: [] },
    { prompt: 'x', temperature: 2.5 },
    { prompt: 'x', top_p: 0 },
  ]) {
    assert.equal(completionRequestSchema.safeParse(bad).success, false, JSON.stringify(bad));
  }
  const chat = chatCompletionRequestSchema.safeParse({
    model: 'gpt-4o',
    messages: [
      { role: 'developer', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
    ],
    max_completion_tokens: 4,
  });
  assert.ok(chat.success);
  assert.equal(chatCompletionRequestSchema.safeParse({ messages: [] }).success, false);
  assert.equal(
    chatCompletionRequestSchema.safeParse({ messages: [{ role: 'tool', content: 'x' }] }).success,
    false,
  );
});
