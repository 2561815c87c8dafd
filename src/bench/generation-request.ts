/**
 * One generation request as the bench sends it, and what came of it. Every request asks for exactly
 * max_new_tokens tokens (ignore_eos, greedy) so that runs are comparable whatever the model says.
 */
import { performance } from 'node:perf_hooks';
import type { BenchClient } from './http-client.js';
import { SseParser } from './sse.js';

/** 'score': Azure ML `POST /score`, one answer at the end. 'completions': OpenAI `POST /v1/completions`, streamed. */
export type BenchRoute = 'score' | 'completions';

export const ROUTE_PATHS: Record<BenchRoute, string> = { score: '/score', completions: '/v1/completions' };

export type RequestOutcome =
  | {
      ok: true;
      latencyMs: number;
      generatedTokens: number;
      /** true: the server's usage said how many tokens; false: max_new_tokens is assumed. */
      countedFromUsage: boolean;
      /** Streaming only: ms from sending to the first chunk with text. */
      firstTokenMs?: number;
      /** Streaming only: ms between successive chunks with text. */
      tokenGapsMs: number[];
    }
  | { ok: false; latencyMs: number; error: string };

export function requestBody(route: BenchRoute, prompt: string, maxNewTokens: number): unknown {
  if (route === 'score') {
    return {
      input_data: {
        input_string: [prompt],
        parameters: {
          max_new_tokens: maxNewTokens,
          ignore_eos: true,
          do_sample: false,
          return_full_text: false,
        },
      },
    };
  }
  return {
    prompt,
    max_tokens: maxNewTokens,
    temperature: 0,
    ignore_eos: true,
    stream: true,
    stream_options: { include_usage: true },
  };
}

interface CompletionChunk {
  choices?: { text?: string }[];
  usage?: { completion_tokens?: number } | null;
  error?: unknown;
}

/** The error key of a failed request: the HTTP status, 'timeout', or the network error's code. */
function failureKey(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) return 'timeout';
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'error';
}

export async function sendGeneration(
  client: BenchClient,
  route: BenchRoute,
  prompt: string,
  maxNewTokens: number,
): Promise<RequestOutcome> {
  const signal = client.timeoutSignal();
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  try {
    const response = await client.post(ROUTE_PATHS[route], requestBody(route, prompt, maxNewTokens), signal);
    if (response.status !== 200) {
      await response.body.dump();
      return { ok: false, latencyMs: elapsed(), error: String(response.status) };
    }
    if (route === 'score') {
      const answer: unknown = JSON.parse(await response.body.text());
      if (!Array.isArray(answer)) return { ok: false, latencyMs: elapsed(), error: 'bad response' };
      return {
        ok: true,
        latencyMs: elapsed(),
        generatedTokens: maxNewTokens,
        countedFromUsage: false,
        tokenGapsMs: [],
      };
    }
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const textTimes: number[] = [];
    let usageTokens: number | undefined;
    let done = false;
    for await (const bytes of response.body) {
      for (const data of parser.push(decoder.decode(bytes as Buffer, { stream: true }))) {
        if (data === '[DONE]') {
          done = true;
          continue;
        }
        const chunk = JSON.parse(data) as CompletionChunk;
        if (chunk.error !== undefined) return { ok: false, latencyMs: elapsed(), error: 'stream error' };
        if (chunk.choices?.some((choice) => choice.text)) textTimes.push(elapsed());
        if (typeof chunk.usage?.completion_tokens === 'number') usageTokens = chunk.usage.completion_tokens;
      }
    }
    if (!done) return { ok: false, latencyMs: elapsed(), error: 'stream cut' };
    return {
      ok: true,
      latencyMs: elapsed(),
      generatedTokens: usageTokens ?? maxNewTokens,
      countedFromUsage: usageTokens !== undefined,
      firstTokenMs: textTimes[0],
      tokenGapsMs: textTimes.slice(1).map((t, i) => t - textTimes[i]!),
    };
  } catch (err) {
    if (err instanceof SyntaxError) return { ok: false, latencyMs: elapsed(), error: 'bad response' };
    return { ok: false, latencyMs: elapsed(), error: failureKey(err, signal) };
  }
}
