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
