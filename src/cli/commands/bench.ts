import { BenchRefused, runBench } from '../../bench/load-generator.js';
import { nonLoopbackAddresses } from '../../bench/loopback.js';
import { formatReport } from '../../bench/report.js';
import { resolveScoringUri } from '../../bench/scoring-uri.js';
import { type Command, intFlag, numberFlag, oneOfFlag, parseCommandArgs, requireFlag } from '../command.js';
import { UsageError } from '../usage-error.js';

const USAGE = `llama-endpoint bench --url URL [options]

Drives a running llama-endpoint server (or any Azure ML / OpenAI-compatible one) and reports generated
tokens/s, request latency, time to first token and inter-token latency percentiles, and errors by status.
Each request asks for exactly --max-new-tokens tokens (ignore_eos, greedy); the prompt is "hello" repeated,
its length checked with the server's POST /tokenize where it has one. Exit 1 when every request failed.

  --url URL               the server, e.g. http://127.0.0.1:5001, or its scoring URI …/score (then --route
                          defaults to score); required; loopback only unless --allow-remote
  --concurrency N         clients sending at once (default 1)
  --requests N            measured requests (default 32)
  --duration-s S          no request starts after S seconds (default 60); the report says when this
                          stopped the run before --requests were sent
  --prompt-tokens N       prompt length in tokens, BOS included (default 32)
  --max-new-tokens N      tokens generated per request (default 64)
  --route R               auto | score | completions (default auto: the streaming /v1/completions when answered)
  --warmup N              requests sent and discarded first (default 1)
  --timeout-s S           per-request limit (default 120)
  --api-key K             sent as Authorization: Bearer K; a server answering 401 or 403 ends the bench
                          (exit 2) before the run
  --allow-remote          allow a target that is not this machine
  --json                  print the result as JSON`;

const ROUTES = ['auto', 'score', 'completions'] as const;

export const benchCommand: Command = {
  name: 'bench',
  summary: 'load-test a running server: tokens/s, latency, TTFT, inter-token latency',
  usage: USAGE,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      url: { type: 'string' },
      concurrency: { type: 'string' },
      requests: { type: 'string' },
      'duration-s': { type: 'string' },
      'prompt-tokens': { type: 'string' },
      'max-new-tokens': { type: 'string' },
      route: { type: 'string' },
      warmup: { type: 'string' },
      'timeout-s': { type: 'string' },
      'api-key': { type: 'string' },
      'allow-remote': { type: 'boolean' },
      json: { type: 'boolean' },
    });
    let url: URL;
    try {
      url = new URL(requireFlag('url', values.url));
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`--url is not a URL: '${values.url}'`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UsageError(`--url must be http or https, got '${url.protocol}'`);
    }
    const target = resolveScoringUri(url, oneOfFlag('route', values.route, ROUTES, 'auto'));
    const options = {
      url: target.base,
      route: target.route,
      concurrency: intFlag('concurrency', values.concurrency, 1, 1, 1024),
      requests: intFlag('requests', values.requests, 32, 1),
      durationS: numberFlag('duration-s', values['duration-s'], 60, 0.001),
      promptTokens: intFlag('prompt-tokens', values['prompt-tokens'], 32, 2),
      maxNewTokens: intFlag('max-new-tokens', values['max-new-tokens'], 64, 1),
      warmupRequests: intFlag('warmup', values.warmup, 1, 0),
      timeoutS: numberFlag('timeout-s', values['timeout-s'], 120, 0.001),
      apiKey: values['api-key'],
    };
    if (!values['allow-remote']) {
      const remote = await nonLoopbackAddresses(url);
      if (remote.length > 0) {
        throw new UsageError(
          `${url.hostname} is not this machine (${remote.join(', ')}); add --allow-remote to load it`,
        );
      }
    }
    const result = await runBench(options).catch((err: unknown) => {
      throw err instanceof BenchRefused ? new UsageError(err.message) : err;
    });
    process.stdout.write(`${values.json ? JSON.stringify(result, null, 2) : formatReport(result)}\n`);
    if (result.requests.ok > 0) return 0;
    process.stderr.write('llama-endpoint bench: every request failed\n');
    return 1;
  },
};
