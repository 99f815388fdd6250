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
  responseSerialize: (message: unknown) => Buffer;
  readonly requestType?: { readonly type?: { readonly name?: string } };
}

/** The methods of the services in a proto-loader package definition (message and enum entries skipped). */
function* loadedMethods(definition: Record<string, unknown>): Generator<{ service: string; method: Partial<LoadedMethod> }> {
  for (const [service, entry] of Object.entries(definition)) {
    if (typeof entry !== 'object' || entry === null || 'format' in entry) continue;
    for (const method of Object.values(entry as Record<string, Partial<LoadedMethod> | undefined>))
      if (typeof method?.path === 'string') yield { service, method };
  }
}

/**
 * Makes every request deserializer of the services of `packages` in `definition` (a proto-loader
 * package definition, changed in place before the server adds its services) return an
 * {@link UndecodableRequest} instead of throwing.
 */
export function markUndecodableRequests(definition: Record<string, unknown>, packages: readonly string[]): void {
  for (const { service, method } of loadedMethods(definition)) {
    if (!packages.includes(service.slice(0, service.lastIndexOf('.'))) || typeof method.requestDeserialize !== 'function') continue;
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
  replaceCodecs(definition, decoders, 'request decoders', (method, decoder) => (method.requestDeserialize = decoder));
}

/** Response encoders by method path, replacing proto-loader's serializers. */
export type ResponseEncoders = Readonly<Record<string, (message: never) => Buffer>>;

/**
 * Gives the methods named in `encoders` their own response serializer: the ts-proto encoder of
 * the response type writes the service's objects (typed by it) straight into bytes, where
 * proto-loader first builds protobuf.js messages of them. For a large response of nested maps
 * (online features for a hundred entities) that took three times as long, for the same message.
 */
export function useResponseEncoders(definition: Record<string, unknown>, encoders: ResponseEncoders): void {
  replaceCodecs(
    definition,
    encoders,
    'response encoders',
    (method, encoder) => (method.responseSerialize = encoder as (message: unknown) => Buffer),
  );
}

/** Hands each method named in `codecs` its codec; a path that the definition does not hold is a programming error, refused at boot. */
function replaceCodecs<C>(
  definition: Record<string, unknown>,
  codecs: Readonly<Record<string, C>>,
  what: string,
  replace: (method: Partial<LoadedMethod>, codec: C) => void,
): void {
  const found = new Set<string>();
  for (const { method } of loadedMethods(definition)) {
    const codec = codecs[method.path!];
    if (codec === undefined) continue;
    replace(method, codec);
    found.add(method.path!);
  }
  const missing = Object.keys(codecs).filter((path) => !found.has(path));
  if (missing.length > 0) throw new Error(`${what} for methods the service does not have: ${missing.join(', ')}`);
}
