import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelInfo, WorkerOptions } from '../worker/protocol.js';
import { HostKvCache } from './host-kv-cache.js';
import { detectIoLayout } from './io-layout.js';
import { type ModelConfig, readModelConfig } from './model-config.js';
import { ModelRunner } from './model-runner.js';
import { createSession } from './session.js';

export interface LoadedModel {
  config: ModelConfig;
  runner: ModelRunner;
  info: ModelInfo;
}

/** A model directory → a session with its I/O layout detected and a KV cache to match. */
export async function loadModel(
  options: Pick<WorkerOptions, 'modelDir' | 'provider' | 'deviceId' | 'intraOpThreads'>,
  warn: (message: string) => void,
): Promise<LoadedModel> {
  const config = await readModelConfig(options.modelDir);
  const modelPath = join(options.modelDir, 'model.onnx');
  if (!existsSync(modelPath)) throw new Error(`no model.onnx in ${options.modelDir}`);
  const { session, provider } = await createSession(modelPath, options, warn);
  try {
    const layout = detectIoLayout(session, config);
    return {
      config,
      runner: new ModelRunner(session, layout, new HostKvCache(layout)),
      info: {
        maxContextTokens: config.contextTokens,
        vocabSize: config.vocabSize,
        provider,
        dtype: layout.kvDtype,
      },
    };
  } catch (err) {
    await session.release();
    throw err;
  }
}
