import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { pino } from 'pino';
import type { KvDtype } from '../../engine/io-layout.js';
import { DEFAULT_MAX_BATCH_SIZE } from '../../engine/load-model.js';
import {
  DEFAULT_MEMORY_SHARE,
  describePlan,
  MemoryPlanError,
  machineMemoryBytes,
  modelFileBytes,
  planMemory,
} from '../../engine/memory-plan.js';
import { type ModelConfig, readModelConfig } from '../../engine/model-config.js';
import { buildServer, DEFAULT_SERVER_OPTIONS } from '../../server/build-server.js';
import { drain } from '../../server/drain.js';
import { ServerMetrics } from '../../server/http/metrics.js';
import { ModelService } from '../../server/model-service.js';
import {
  DEFAULT_PREFILL_CHUNK_TOKENS,
  defaultDeviceIds,
  defaultIntraOpThreads,
} from '../../worker/threading.js';
import { AZUREML_MODEL_DIR, azureMlModelDir } from '../azureml-model-dir.js';
import { type Command, intFlag, oneOfFlag, parseCommandArgs, providerFlag, sizeFlag } from '../command.js';
import { ensureDemoModel } from '../demo-model.js';
import { UsageError } from '../usage-error.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The port Azure ML's custom-container examples and the images use. */
export const DEFAULT_PORT = 5001;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;

export const SERVE_FLAGS = {
  model: { type: 'string' },
  'served-model-name': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  workers: { type: 'string' },
  provider: { type: 'string' },
  'device-ids': { type: 'string' },
  'worker-isolation': { type: 'string' },
  'api-key': { type: 'string', multiple: true },
  'deployment-name': { type: 'string' },
  'max-concurrent-requests': { type: 'string' },
  'request-timeout-ms': { type: 'string' },
  'max-prompts': { type: 'string' },
  'body-limit': { type: 'string' },
  'max-batch-size': { type: 'string' },
  'max-model-len': { type: 'string' },
  'kv-cache-memory': { type: 'string' },
  'prefill-chunk-tokens': { type: 'string' },
  'intra-op-threads': { type: 'string' },
  'shutdown-timeout-ms': { type: 'string' },
  'log-level': { type: 'string' },
  playground: { type: 'string' },
  'cors-origin': { type: 'string', multiple: true },
} as const;

/** Every flag has an environment variable; flags win. */
export const SERVE_ENV = {
  model: 'MODEL_DIR',
  'served-model-name': 'SERVED_MODEL_NAME',
  host: 'HOST',
  port: 'PORT',
  workers: 'WORKERS',
  provider: 'PROVIDER',
  'device-ids': 'DEVICE_IDS',
  'worker-isolation': 'WORKER_ISOLATION',
  'api-key': 'API_KEYS',
  'deployment-name': 'DEPLOYMENT_NAME',
  'max-concurrent-requests': 'MAX_CONCURRENT_REQUESTS',
  'request-timeout-ms': 'REQUEST_TIMEOUT_MS',
  'max-prompts': 'MAX_PROMPTS',
  'body-limit': 'BODY_LIMIT',
  'max-batch-size': 'MAX_BATCH_SIZE',
  'max-model-len': 'MAX_MODEL_LEN',
  'kv-cache-memory': 'KV_CACHE_MEMORY',
  'prefill-chunk-tokens': 'PREFILL_CHUNK_TOKENS',
  'intra-op-threads': 'INTRA_OP_THREADS',
  'shutdown-timeout-ms': 'SHUTDOWN_TIMEOUT_MS',
  'log-level': 'LOG_LEVEL',
  playground: 'PLAYGROUND',
  'cors-origin': 'CORS_ORIGINS',
} as const;

const USAGE = `llama-endpoint serve [--model DIR] [options]   (every flag also reads the environment variable shown)
  --model DIR                  MODEL_DIR                model directory (default: the model Azure ML mounted at
                                                        $${AZUREML_MODEL_DIR} when set, else the demo model)
  --served-model-name NAME     SERVED_MODEL_NAME        the model's name in /v1 responses (default: the model directory's name)
  --host H                     HOST                     listen address (default 127.0.0.1; 0.0.0.0 in containers)
  --port N                     PORT                     default ${DEFAULT_PORT}
  --workers N                  WORKERS                  workers, one ONNX Runtime session each (default: one per device id)
  --provider P                 PROVIDER                 cpu (default), cuda or webgpu: must load, else exit 1 with how to install
                                                        it; auto: the first of cuda, webgpu (where a GPU is visible), cpu that loads
  --device-ids 0,1,...         DEVICE_IDS               GPUs, one worker each (default: cuda/auto every visible GPU, else 0)
  --worker-isolation process|thread  WORKER_ISOLATION   workers as child processes (default: a native crash ends one worker,
                                                        which is restarted) or threads of the server process
  --api-key K (repeatable)     API_KEYS (comma list)    Bearer keys; none = no auth
  --deployment-name NAME       DEPLOYMENT_NAME          azureml-model-deployment header (default "default")
  --max-concurrent-requests N  MAX_CONCURRENT_REQUESTS  in flight (running + queued) before 429 (default 64)
  --request-timeout-ms N       REQUEST_TIMEOUT_MS       408 after this long (default 90000)
  --max-prompts N              MAX_PROMPTS              prompts per request (default 16)
  --body-limit BYTES           BODY_LIMIT               413 above this (default 1048576)
  --max-batch-size N           MAX_BATCH_SIZE           most sequences per decode step per worker (default ${DEFAULT_MAX_BATCH_SIZE})
  --max-model-len N            MAX_MODEL_LEN            longest prompt + new tokens (default: the model's context)
  --kv-cache-memory SIZE       KV_CACHE_MEMORY          KV cache per worker, e.g. 2GiB; the batch is what fits (capped by
                                                        --max-batch-size; default: ${DEFAULT_MEMORY_SHARE * 100}% of memory less the weights)
  --prefill-chunk-tokens N     PREFILL_CHUNK_TOKENS     prompt tokens per prefill run, between decode steps (default ${DEFAULT_PREFILL_CHUNK_TOKENS})
  --intra-op-threads N         INTRA_OP_THREADS         ONNX Runtime threads per worker (default cores / workers)
  --shutdown-timeout-ms N      SHUTDOWN_TIMEOUT_MS      SIGTERM: wait this long for in-flight requests (default 30000)
  --log-level LEVEL            LOG_LEVEL                ${LOG_LEVELS.join('|')} (default info)
  --playground on|off          PLAYGROUND               the browser playground at /playground (default on)
  --cors-origin O (repeatable) CORS_ORIGINS (comma list) let browser scripts from origin O call the API (* = any); default off`;

/** Each `--cors-origin` is `*` or an origin as browsers send it: scheme://host[:port], nothing after. */
function corsOrigins(values: readonly string[]): string[] {
  return values
    .filter((value) => value !== '')
    .map((value) => {
      if (value === '*') return value;
      const origin = URL.canParse(value) ? new URL(value).origin : 'null';
      if (origin === 'null' || origin !== value.replace(/\/$/, '')) {
        throw new UsageError(`--cors-origin must be * or an origin like https://app.example, got '${value}'`);
      }
      return origin;
    });
}

const WORKER_ISOLATIONS = ['process', 'thread'] as const;

/** `--device-ids 0,2`: distinct non-negative integers. */
function deviceIdsFlag(value: string): number[] {
  const ids = value.split(',').map((id) => id.trim());
  if (ids.some((id) => !/^\d+$/.test(id)) || new Set(ids).size !== ids.length) {
    throw new UsageError(`--device-ids: expected distinct GPU indices such as 0,1, got '${value}'`);
  }
  return ids.map(Number);
}

/**
 * The memory plan of --max-model-len and --kv-cache-memory, before anything loads; one that cannot fit the
 * machine is a usage error (exit 2) with the numbers.
 */
async function memoryPlan(
  modelDir: string,
  workers: number,
  maxBatchSize: number,
  values: { 'max-model-len'?: string; 'kv-cache-memory'?: string },
) {
  let config: ModelConfig;
  try {
    config = await readModelConfig(modelDir);
  } catch {
    // No plan: loading reports the unreadable config (logged, exit 1) as for any model that cannot load.
    return undefined;
  }
  const maxModelLen = intFlag(
    'max-model-len',
    values['max-model-len'],
    config.contextTokens,
    1,
    config.contextTokens,
  );
  const kvDtype: KvDtype = config.torchDtype === 'float16' ? 'float16' : 'float32';
  try {
    const plan = planMemory({
      weightsBytes: modelFileBytes(modelDir),
      config,
      kvDtype,
      maxModelLen,
      maxBatchSize,
      kvCacheBytes: sizeFlag('kv-cache-memory', values['kv-cache-memory']),
      workers,
      memoryBytes: machineMemoryBytes(),
    });
    return { ...plan, kvDtype };
  } catch (err) {
    if (err instanceof MemoryPlanError) throw new UsageError(err.message);
    throw err;
  }
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the Azure ML /score contract over HTTP (default: the demo model on port 5001)',
  usage: USAGE,
  async run(argv) {
    const { values } = parseCommandArgs(argv, SERVE_FLAGS, SERVE_ENV);
    const provider = providerFlag(values.provider);
    const deviceIds =
      values['device-ids'] === undefined ? defaultDeviceIds(provider) : deviceIdsFlag(values['device-ids']);
    const workers = intFlag('workers', values.workers, provider === 'cpu' ? 1 : deviceIds.length, 1, 64);
    const isolation = oneOfFlag('worker-isolation', values['worker-isolation'], WORKER_ISOLATIONS, 'process');
    const port = intFlag('port', values.port, DEFAULT_PORT, 0, 65535);
    const host = values.host ?? '127.0.0.1';
    const level = oneOfFlag('log-level', values['log-level'], LOG_LEVELS, 'info');
    const maxBatchSize = intFlag('max-batch-size', values['max-batch-size'], DEFAULT_MAX_BATCH_SIZE, 1, 1024);
    const prefillChunkTokens = intFlag(
      'prefill-chunk-tokens',
      values['prefill-chunk-tokens'],
      DEFAULT_PREFILL_CHUNK_TOKENS,
      1,
    );
    const intraOpThreads = intFlag(
      'intra-op-threads',
      values['intra-op-threads'],
      defaultIntraOpThreads(availableParallelism(), workers),
      1,
      1024,
    );
    const shutdownTimeoutMs = intFlag(
      'shutdown-timeout-ms',
      values['shutdown-timeout-ms'],
      DEFAULT_SHUTDOWN_TIMEOUT_MS,
      0,
    );
    const options = {
      apiKeys: (values['api-key'] ?? []).filter((key) => key !== ''),
      deploymentName: values['deployment-name'] ?? DEFAULT_SERVER_OPTIONS.deploymentName,
      ...(values['served-model-name'] ? { servedModelName: values['served-model-name'] } : {}),
      maxConcurrentRequests: intFlag(
        'max-concurrent-requests',
        values['max-concurrent-requests'],
        DEFAULT_SERVER_OPTIONS.maxConcurrentRequests,
        1,
      ),
      requestTimeoutMs: intFlag(
        'request-timeout-ms',
        values['request-timeout-ms'],
        DEFAULT_SERVER_OPTIONS.requestTimeoutMs,
        1,
      ),
      maxPrompts: intFlag('max-prompts', values['max-prompts'], DEFAULT_SERVER_OPTIONS.maxPrompts, 1),
      bodyLimit: intFlag('body-limit', values['body-limit'], DEFAULT_SERVER_OPTIONS.bodyLimit, 1),
      playground: oneOfFlag('playground', values.playground, ['on', 'off'], 'on') === 'on',
      corsOrigins: corsOrigins(values['cors-origin'] ?? []),
    };

    const logger = pino({ level });
    const azureMount = process.env[AZUREML_MODEL_DIR];
    let modelDir = values.model ?? (azureMount ? azureMlModelDir(azureMount) : undefined);
    if (modelDir !== undefined && !statSync(modelDir, { throwIfNoEntry: false })?.isDirectory()) {
      throw new UsageError(`--model: no such directory '${modelDir}'`);
    }
    if (modelDir === undefined) {
      const demo = await ensureDemoModel();
      modelDir = demo.dir;
      logger.info({ modelDir }, demo.created ? 'created the demo model' : 'serving the demo model');
    }
    const plan = await memoryPlan(modelDir, workers, maxBatchSize, values);
    if (plan) logger.info(plan, describePlan(plan, plan.kvDtype));
    const metrics = new ServerMetrics();
    const model = new ModelService(
      {
        modelDir,
        workers,
        provider,
        deviceIds,
        isolation,
        maxBatchSize: plan?.batch ?? maxBatchSize,
        maxModelLen: plan?.maxModelLen,
        prefillChunkTokens,
        intraOpThreads,
      },
      metrics,
      logger,
    );
    const app = buildServer({ ...options, logger, metrics, model });
    // Listen first: probes see 503 while the workers load, not a refused connection.
    const address = await app.listen({ host, port });
    logger.info({ address, workers, provider, deviceIds, isolation }, 'listening; loading the model');

    const stopped = new Promise<number>((resolve) => {
      const shutdown = (signal: string) => drain(app, shutdownTimeoutMs, signal).then(() => resolve(0));
      process.once('SIGTERM', () => void shutdown('SIGTERM'));
      process.once('SIGINT', () => void shutdown('SIGINT'));
    });

    try {
      await Promise.race([model.loaded, stopped]);
    } catch (err) {
      // Exit rather than stay up unready: Kubernetes restarts the pod (CrashLoopBackOff shows the reason),
      // where a server that never gets ready would only fail its readiness probe, silently.
      logger.error({ err }, 'the model failed to load');
      await app.close();
      throw new Error(`the model failed to load: ${(err as Error).message}`);
    }
    if (app.endpoint.draining) return stopped;
    const auth = options.apiKeys.length > 0 ? ' -H "Authorization: Bearer $API_KEY"' : '';
    const url = address.replace('0.0.0.0', '127.0.0.1');
    process.stderr.write(
      `ready: curl -s ${url}/score${auth} -H "Content-Type: application/json" -d ` +
        `'{"input_data": {"input_string": ["I believe the meaning of life is"], "parameters": {"top_p": 0.9, "temperature": 0.7, "max_new_tokens": 50, "do_sample": true}}}'\n`,
    );
    if (options.playground) process.stderr.write(`playground: ${url}/playground\n`);
    return stopped;
  },
};
