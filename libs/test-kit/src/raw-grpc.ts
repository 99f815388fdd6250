import { credentials, Client, Metadata, type ServiceError, status } from '@grpc/grpc-js';

export interface RawCallOutcome {
  readonly code: status;
  readonly details: string;
  /** The reply's bytes when the call succeeded. */
  readonly reply?: Buffer;
}

/**
 * Calls `path` (`/package.Service/Method`) on a plaintext server with `bytes` as the request,
 * sent as they are: what a client with a broken or hostile encoder sends. `token` goes in the
 * `authorization` metadata when given.
 */
export function unaryBytes(address: string, path: string, bytes: Buffer, token?: string): Promise<RawCallOutcome> {
  const client = new Client(address, credentials.createInsecure());
  const metadata = new Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  return new Promise<RawCallOutcome>((resolve) => {
    client.makeUnaryRequest(
      path,
      (request: Buffer) => request,
      (reply: Buffer) => reply,
      bytes,
      metadata,
      { deadline: Date.now() + 10_000 },
      (error: ServiceError | null, reply?: Buffer) =>
        resolve(error ? { code: error.code, details: error.details } : { code: status.OK, details: '', reply }),
    );
  }).finally(() => client.close());
}
