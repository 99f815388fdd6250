import { invalidArgument, type InvalidArgumentException } from '../errors/invalid-argument.exception';

/**
 * What a call's handler chain receives instead of a request whose bytes are not a protobuf of
 * its type. grpc-js would answer such bytes itself, INTERNAL and before any token is checked;
 * marked instead, the call interceptor answers them after authentication, as the caller's error.
 */
export class UndecodableRequest {
  constructor(
    readonly typeName: string,
    readonly reason: string,
  ) {}

  toException(): InvalidArgumentException {
    return invalidArgument('(request)', `is not a valid ${this.typeName} message: ${this.reason}`);
  }
}

/** A method of a service definition as @grpc/proto-loader loads it. */
interface LoadedMethod {
  readonly path: string;
  requestDeserialize: (bytes: Buffer) => unknown;
  readonly requestType?: { readonly type?: { readonly name?: string } };
}

/**
 * Makes every request deserializer of the services of `packages` in `definition` (a proto-loader
 * package definition, changed in place before the server adds its services) return an
 * {@link UndecodableRequest} instead of throwing.
 */
export function markUndecodableRequests(definition: Record<string, unknown>, packages: readonly string[]): void {
  for (const [fullName, entry] of Object.entries(definition)) {
    const packageName = fullName.slice(0, fullName.lastIndexOf('.'));
    if (!packages.includes(packageName) || typeof entry !== 'object' || entry === null || 'format' in entry) continue;
    for (const method of Object.values(entry as Record<string, Partial<LoadedMethod>>)) {
      if (typeof method?.path !== 'string' || typeof method.requestDeserialize !== 'function') continue;
      const decode = method.requestDeserialize;
      const typeName = method.requestType?.type?.name ?? 'request';
      method.requestDeserialize = (bytes: Buffer) => {
        try {
          return decode(bytes);
        } catch (error) {
          return new UndecodableRequest(typeName, error instanceof Error ? error.message : String(error));
        }
      };
    }
  }
}

/** Request decoders by method path (`/package.Service/Method`), replacing proto-loader's. */
export type RequestDecoders = Readonly<Record<string, (bytes: Buffer) => unknown>>;

/**
 * Gives the methods named in `decoders` their own request deserializer: a method whose requests
 * are large and whose handler wants them in another form than proto-loader's objects (e.g. its
 * rows left as bytes for a worker thread to decode). Applied before
 * {@link markUndecodableRequests}, so what such a decoder throws is answered the same way. A
 * path that the definition does not hold is a programming error, refused at boot.
 */
export function useRequestDecoders(definition: Record<string, unknown>, decoders: RequestDecoders): void {
  const found = new Set<string>();
  for (const entry of Object.values(definition)) {
    if (typeof entry !== 'object' || entry === null || 'format' in entry) continue;
    for (const method of Object.values(entry as Record<string, Partial<LoadedMethod>>)) {
      const decoder = typeof method?.path === 'string' ? decoders[method.path] : undefined;
      if (!decoder) continue;
      method.requestDeserialize = decoder;
      found.add(method.path!);
    }
  }
  const missing = Object.keys(decoders).filter((path) => !found.has(path));
  if (missing.length > 0) throw new Error(`request decoders for methods the service does not have: ${missing.join(', ')}`);
}
