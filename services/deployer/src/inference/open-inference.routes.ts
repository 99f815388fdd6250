import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type HttpApiContext, HttpBodyError, httpErrorOf, type HttpRoutes, readJsonBody, Role, sendJson } from '@flywheel/platform';
import { PROTOCOL_VERSION, SERVER_NAME } from './open-inference.grpc-controller';
import { OpenInferenceService } from './open-inference.service';
import { restInferRequest } from './v2-tensors';

/** Largest infer body read: 10,000 rows of a few dozen features fit many times over. */
export const MAX_INFER_BODY_BYTES = 32 * 1024 * 1024;

const MODEL_PATH = /^\/v2\/models\/([a-z][a-z0-9_-]{0,62})(?:\/versions\/([^/]{1,16}))?(\/ready|\/infer)?$/;

/**
 * The Open Inference Protocol's REST API on the deployer's HTTP port: health without a token
 * (as the probes), metadata and inference with the token and role Predict takes, errors as
 * `{"error": "<message naming the field>"}` with the HTTP status of the gRPC one.
 */
export function openInferenceRoutes(context: HttpApiContext): HttpRoutes {
  const inference = context.app.get(OpenInferenceService);
  return async (request: IncomingMessage, response: ServerResponse, path: string) => {
    if (!path.startsWith('/v2')) return false;
    try {
      await route(inference, context, request, response, path);
    } catch (error) {
      const { status, message } = error instanceof HttpBodyError ? { status: error.status, message: error.message } : httpErrorOf(error);
      sendJson(response, status, { error: message });
    }
    return true;
  };
}

async function route(
  inference: OpenInferenceService,
  context: HttpApiContext,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
): Promise<void> {
  const method = request.method ?? 'GET';
  const expect = (allowed: string) => {
    if (method === allowed) return true;
    response.setHeader('allow', allowed);
    sendJson(response, 405, { error: `${path} takes ${allowed}` });
    return false;
  };
  if (path === '/v2' || path === '/v2/') {
    if (expect('GET')) sendJson(response, 200, { name: SERVER_NAME, version: PROTOCOL_VERSION, extensions: [] });
    return;
  }
  if (path === '/v2/health/live' || path === '/v2/health/ready') {
    if (expect('GET')) sendJson(response, 200, path.endsWith('live') ? { live: true } : { ready: true });
    return;
  }
  const match = MODEL_PATH.exec(path);
  if (!match) {
    sendJson(response, 404, { error: `no such endpoint: ${path}` });
    return;
  }
  const [, name, version = '', action = ''] = match;
  context.authorize(request.headers, Role.Read, `REST ${path}`);
  if (action === '/ready') {
    if (expect('GET')) {
      const ready = inference.ready(name!, version);
      sendJson(response, ready ? 200 : 400, { name, ready });
    }
    return;
  }
  if (action === '') {
    if (expect('GET')) sendJson(response, 200, inference.metadata(name!, version));
    return;
  }
  if (!expect('POST')) return;
  const body = await readJsonBody(request, MAX_INFER_BODY_BYTES);
  const result = await inference.infer(name!, version, restInferRequest(body));
  sendJson(response, 200, {
    model_name: result.modelName,
    model_version: result.modelVersion,
    id: result.id,
    outputs: result.outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape, data: o.data })),
  });
}
