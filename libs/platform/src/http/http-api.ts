import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { GrpcExceptionFilter } from '../errors/grpc-exception.filter';
import { assertNever } from '../errors/assert-never';

/** The HTTP status of a gRPC status, as grpc-gateway maps them. */
export function httpStatusOf(code: GrpcStatus): number {
  switch (code) {
    case GrpcStatus.OK:
      return 200;
    case GrpcStatus.INVALID_ARGUMENT:
    case GrpcStatus.FAILED_PRECONDITION:
    case GrpcStatus.OUT_OF_RANGE:
      return 400;
    case GrpcStatus.UNAUTHENTICATED:
      return 401;
    case GrpcStatus.PERMISSION_DENIED:
      return 403;
    case GrpcStatus.NOT_FOUND:
      return 404;
    case GrpcStatus.ALREADY_EXISTS:
    case GrpcStatus.ABORTED:
      return 409;
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return 429;
    case GrpcStatus.CANCELLED:
      return 499;
    case GrpcStatus.UNIMPLEMENTED:
      return 501;
    case GrpcStatus.UNAVAILABLE:
      return 503;
    case GrpcStatus.DEADLINE_EXCEEDED:
      return 504;
    case GrpcStatus.UNKNOWN:
    case GrpcStatus.INTERNAL:
    case GrpcStatus.DATA_LOSS:
      return 500;
    default:
      return assertNever(code, 'gRPC status');
  }
}

const errors = new GrpcExceptionFilter();

/** Whatever a handler threw, as the HTTP status and message its gRPC twin would answer with. */
export function httpErrorOf(exception: unknown): { status: number; message: string } {
  const payload = errors.toPayload(exception);
  return { status: httpStatusOf(payload.code), message: payload.message };
}

/** An HTTP request's `Authorization` header as gRPC metadata, for the same token check as a call. */
export function metadataOfHeaders(headers: IncomingHttpHeaders): Metadata {
  const metadata = new Metadata();
  if (typeof headers.authorization === 'string') metadata.set('authorization', headers.authorization);
  return metadata;
}

export class HttpBodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A request's body parsed as JSON; refused past `maxBytes` (413) or when it is not JSON (400). */
export async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(request.headers['content-length'] ?? NaN);
  if (declared > maxBytes) throw new HttpBodyError(413, `the body is ${declared} bytes, more than ${maxBytes}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      request.destroy();
      throw new HttpBodyError(413, `the body is more than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new HttpBodyError(400, `the body is not JSON: ${(error as Error).message}`);
  }
}

/** Answers one JSON document. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}
