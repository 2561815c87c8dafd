import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { type GenerationRequest, GREEDY } from '../src/engine/generation-params.js';
import { Sequence, type TokenOutcome } from '../src/engine/sequence.js';
import { StopStringMatcher } from '../src/engine/stop-strings.js';
import { loadTokenizer } from '../src/tokenizer/load.js';
import type { Tokenizer } from '../src/tokenizer/tokenizer.js';
import { fixture, fixturesMissing } from './helpers/paths.js';

const skip = fixturesMissing();
let tokenizer: Tokenizer;

before(async () => {
  if (!skip) tokenizer = await loadTokenizer(fixture('llama2-tokenizer'));
});

const EOS = 2;

function sequence(stopping: Partial<GenerationRequest['stopping']>, eosIds = [EOS]): Sequence {
  const request: GenerationRequest = {
    id: 's',
    promptIds: [1],
    sampling: GREEDY,
    stopping: { maxNewTokens: 100, stop: [], ignoreEos: false, ...stopping },
  };
  return new Sequence(request, eosIds, tokenizer.createStreamDecoder());
}

/** Feeds ids until the sequence ends; every outcome, in order. */
function feed(seq: Sequence, ids: readonly number[]): TokenOutcome[] {
  const outcomes: TokenOutcome[] = [];
  for (const id of ids) {
    const outcome = seq.accept(id);
    outcomes.push(outcome);
    if (outcome.finishReason) break;
  }
  return outcomes;
}

/** What the continuation decodes to when nothing stops it (first token's leading space kept). */
function fullText(ids: readonly number[]): string {
  const decoder = tokenizer.createStreamDecoder();
  return ids.map((id) => decoder.push(id)).join('') + decoder.flush();
}

const isWellFormed = (text: string) => Buffer.from(text, 'utf8').toString('utf8') === text;

test('the stop string matcher holds back possible starts and releases false ones', () => {
  const matcher = new StopStringMatcher(['world', 'xyz']);
  assert.deepEqual(matcher.push('Hello '), { text: 'Hello ', stopped: false });
  assert.deepEqual(matcher.push('wor'), { text: '', stopped: false });
  assert.deepEqual(matcher.push('m x'), { text: 'worm ', stopped: false });
  assert.deepEqual(matcher.push('y'), { text: '', stopped: false });
  assert.equal(matcher.finish(), 'xy');
  assert.equal(matcher.releasedText, 'Hello worm xy');

  const stopped = new StopStringMatcher(['o w', 'lo']);
  assert.deepEqual(stopped.push('Hel'), { text: 'He', stopped: false });
  assert.deepEqual(stopped.push('lo world'), { text: 'l', stopped: true }, 'the earliest match wins');
  assert.equal(stopped.finish(), '');
  assert.equal(stopped.releasedText, 'Hel');
  assert.deepEqual(
    new StopStringMatcher(['']).push('abc'),
    { text: 'abc', stopped: false },
    'empty stops ignored',
  );
});

test('stop strings cut the text exactly, also across tokens, and never show in token text', { skip }, () => {
  const text = 'The cat sat on the mat. Then it slept on the mat, and 🦙 dreamt.';
  const ids = tokenizer.encode(text, { addBos: false });
  const whole = fullText(ids);
  for (const stop of ['t sat', 'mat', 'on the mat,', '🦙', ' dreamt', '.']) {
    const pieces = ids.map((id) => tokenizer.decode([id]));
    const spans = !pieces.some((piece) => piece.includes(stop));
    const outcomes = feed(sequence({ stop: [stop] }), ids);
    const last = outcomes[outcomes.length - 1]!;
    assert.equal(last.finishReason, 'stop', stop);
    const streamed = outcomes.map((o) => o.text);
    assert.equal(streamed.join(''), whole.slice(0, whole.indexOf(stop)), `cut before '${stop}'`);
    for (const piece of streamed)
      assert.ok(isWellFormed(piece), `whole characters only: ${JSON.stringify(piece)}`);
    if (stop === 't sat') assert.ok(spans, `'${stop}' spans two tokens`);
  }
});

test('false starts of a stop string are released once they stop matching', { skip }, () => {
  const ids = tokenizer.encode('abc abd abe', { addBos: false });
  const seq = sequence({ stop: ['abe'] });
  const outcomes = feed(seq, ids);
  assert.equal(outcomes.at(-1)!.finishReason, 'stop');
  assert.equal(outcomes.map((o) => o.text).join(''), ' abc abd ');
  assert.equal(seq.text, ' abc abd ');
});

test('EOS ends a sequence with stop; ignore_eos generates through it up to max_new_tokens', { skip }, () => {
  const ids = tokenizer.encode('Once upon a time', { addBos: false });
  const stopped = sequence({});
  const outcomes = feed(stopped, [...ids, EOS, ...ids]);
  assert.equal(outcomes.length, ids.length + 1);
  assert.equal(outcomes.at(-1)!.finishReason, 'stop');
  assert.equal(outcomes.at(-1)!.text, '');
  assert.equal(stopped.text, ' Once upon a time');
  assert.equal(stopped.generatedIds.length, ids.length + 1, 'the EOS counts as generated');

  const ignoring = sequence({ ignoreEos: true, maxNewTokens: 2 * ids.length + 1 });
  const all = feed(ignoring, [...ids, EOS, ...ids]);
  assert.equal(all.length, 2 * ids.length + 1);
  assert.equal(all.at(-1)!.finishReason, 'length');
  assert.equal(ignoring.text, ' Once upon a time Once upon a time');
});

test('BOS ends a sequence when the model lists it among its EOS ids (llama2.c)', { skip }, () => {
  const outcomes = feed(sequence({}, [2, 1]), [450, 1, 450]);
  assert.deepEqual(
    outcomes.map((o) => o.finishReason),
    [undefined, 'stop'],
  );
});

test('max_new_tokens is exact, and the held-back text is released at the end', { skip }, () => {
  const ids = tokenizer.encode('one two three four five', { addBos: false });
  for (const maxNewTokens of [1, 3, ids.length]) {
    const seq = sequence({ maxNewTokens, stop: ['fivex', 'two!'] });
    const outcomes = feed(seq, ids);
    assert.equal(outcomes.length, maxNewTokens);
    assert.equal(outcomes.at(-1)!.finishReason, 'length');
    assert.equal(outcomes.map((o) => o.text).join(''), fullText(ids.slice(0, maxNewTokens)));
  }
});

test('a multi-byte character split over byte tokens is streamed whole', { skip }, () => {
  const ids = tokenizer.encode('🦙🦙', { addBos: false });
  const outcomes = feed(sequence({ maxNewTokens: ids.length }), ids);
  for (const { text } of outcomes)
    assert.ok(isWellFormed(text) && !text.includes('\uFFFD'), JSON.stringify(text));
  assert.ok(
    outcomes.filter((o) => o.text === '').length >= 3,
    'the first bytes of a character wait for the last',
  );
  assert.equal(outcomes.map((o) => o.text).join(''), ' 🦙🦙');
});
