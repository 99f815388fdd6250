import { dirname, join } from 'node:path';
import { type Server } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { protoPath as healthProtoPath } from 'grpc-health-check';

/**
 * The server's own infrastructure protos, listed by reflection next to the application's, as
 * grpcurl users expect from any gRPC server.
 */
function infrastructureDefinitions(): PackageDefinition {
  const reflectionProtoRoot = join(dirname(require.resolve('@grpc/reflection')), '..', 'proto');
  return {
    ...loadSync(healthProtoPath),
    ...loadSync(['grpc/reflection/v1/reflection.proto', 'grpc/reflection/v1alpha/reflection.proto'], {
      includeDirs: [reflectionProtoRoot],
    }),
  };
}

/** Serves `grpc.reflection.v1` and `v1alpha` for the application's package definition. */
export function addReflection(server: Pick<Server, 'addService'>, definition: PackageDefinition): void {
  new ReflectionService({ ...definition, ...infrastructureDefinitions() }).addToServer(server);
}

/** Fully qualified names of the services in `definition` that belong to one of `packages`. */
export function serviceNames(definition: PackageDefinition, packages: readonly string[]): string[] {
  return Object.entries(definition)
    .filter(([name, value]) => !('format' in value) && packages.some((pkg) => name.startsWith(`${pkg}.`)))
    .map(([name]) => name);
}
