import { type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { AuthException, AuthExceptionCode } from '../auth/auth.exception';
import { invalidArgument } from '../errors/invalid-argument.exception';
import { HttpBodyError, httpErrorOf, httpStatusOf, metadataOfHeaders, readJsonBody } from './http-api';

const request = (chunks: string[], headers: Record<string, string> = {}) =>
  Object.assign(Readable.from(chunks.map((c) => Buffer.from(c))), { headers }) as unknown as IncomingMessage;

describe('HTTP APIs beside gRPC', () => {
  it('reads a JSON body, and refuses one past its limit (declared or sent) or not JSON', async () => {
    expect(await readJsonBody(request(['{"a":', ' [1, 2]}']), 100)).toEqual({ a: [1, 2] });
    await expect(readJsonBody(request(['{}'], { 'content-length': '1000' }), 100)).rejects.toEqual(
      new HttpBodyError(413, 'the body is 1000 bytes, more than 100'),
    );
    await expect(readJsonBody(request(['x'.repeat(60), 'x'.repeat(60)]), 100)).rejects.toMatchObject({ status: 413 });
    await expect(readJsonBody(request(['{"a": tru']), 100)).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/^the body is not JSON/),
    });
  });

  it('answers with the HTTP status of the gRPC status the same error has', () => {
    expect(httpErrorOf(invalidArgument('inputs[0].name', 'is required'))).toEqual({
      status: 400,
      message: expect.stringContaining('inputs[0].name'),
    });
    expect(httpErrorOf(new AuthException('missing API token', AuthExceptionCode.MISSING_TOKEN)).status).toBe(401);
    expect(httpErrorOf(new AuthException('lacks role', AuthExceptionCode.ROLE_REQUIRED)).status).toBe(403);
    expect(httpErrorOf(new Error('boom')).status).toBe(500);
    expect([GrpcStatus.NOT_FOUND, GrpcStatus.UNAVAILABLE, GrpcStatus.RESOURCE_EXHAUSTED].map(httpStatusOf)).toEqual([404, 503, 429]);
  });

  it('carries the Authorization header to the token check as gRPC metadata', () => {
    expect(metadataOfHeaders({ authorization: 'Bearer fw_x' }).get('authorization')).toEqual(['Bearer fw_x']);
    expect(metadataOfHeaders({}).get('authorization')).toEqual([]);
  });
});
