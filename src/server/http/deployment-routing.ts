import type { App } from '../app.js';
import { HttpError } from './http-error.js';

/**
 * Azure's front end sends a request that names a deployment in `azureml-model-deployment` to that deployment,
 * past the endpoint's traffic split, and answers 404 when the endpoint has none of that name. This server is
 * one deployment: a request naming another one is a 404, as it would be on Azure; no header, or this
 * deployment's name (deployment names are case-insensitive on Azure), is served. Probes are the container's
 * own and are not routed.
 */
export function registerDeploymentRouting(app: App, deploymentName: string): void {
  const served = deploymentName.toLowerCase();
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public) return;
    const named = request.headers['azureml-model-deployment'];
    if (typeof named !== 'string' || named.trim() === '' || named.trim().toLowerCase() === served) return;
    throw new HttpError(
      404,
      'NotFound',
      `no deployment named '${named.trim()}' on this endpoint; it serves '${deploymentName}'`,
    );
  });
}
