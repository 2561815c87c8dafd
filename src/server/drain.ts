import { setTimeout as delay } from 'node:timers/promises';
import type { App } from './app.js';

/**
 * A graceful stop (SIGTERM): new requests get 503 from the draining hook, the requests in flight may finish
 * for up to `timeoutMs`, then whatever still runs is stopped and the server closes (which closes the model).
 * Resolves once closed.
 */
export async function drain(app: App, timeoutMs: number, signal: string): Promise<void> {
  app.endpoint.draining = true;
  const { admission, model } = app.endpoint;
  app.log.info({ signal, inFlight: admission.count }, 'draining: new requests get 503');
  const drained = await Promise.race([
    admission.whenIdle().then(() => true),
    // Unref'd: once drained, this timer must not hold the process for the rest of the timeout.
    delay(timeoutMs, false, { ref: false }),
  ]);
  if (!drained) {
    app.log.warn({ inFlight: admission.count }, 'shutdown timeout: stopping the requests still in flight');
    await model?.terminate();
  }
  await app.close();
}
