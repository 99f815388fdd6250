import { type Server, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { type PackageDefinition } from '@grpc/proto-loader';
import { fileDescriptorSet } from '@flywheel/contracts';
import { ReflectionIndex } from './reflection-index';
import { REFLECTION_SERVICES, reflectionServiceDefinitions, serveReflectionStream } from './reflection-service';

const HEALTH_SERVICE = 'grpc.health.v1.Health';

/**
 * Serves `grpc.reflection.v1` and `v1alpha` for the services of `definition`, answering with the
 * descriptors `buf build` compiled (the contracts' set, then `descriptorSets` for .proto files
 * outside proto/): proto-loader's own are not ones protoc-based clients (grpcurl, Python) accept.
 * Throws if a served service has no descriptor, so a stale `npm run generate` fails at boot, not in a client.
 */
export function addReflection(
  server: Pick<Server, 'addService'>,
  definition: PackageDefinition,
  descriptorSets: readonly Uint8Array[] = [],
): void {
  const index = new ReflectionIndex([fileDescriptorSet(), ...descriptorSets]);
  const served = Object.entries(definition)
    .filter(([, value]) => !('format' in value))
    .map(([name]) => name);
  const services = [...served, HEALTH_SERVICE, ...REFLECTION_SERVICES];
  const undescribed = services.filter((service) => !index.hasService(service));
  if (undescribed.length > 0) {
    throw new Error(
      `no descriptor for ${undescribed.join(', ')} to serve by reflection: run \`npm run generate\`, or pass the descriptor set of its .proto files`,
    );
  }
  const handler = serveReflectionStream({ index, services });
  for (const reflection of reflectionServiceDefinitions()) {
    server.addService(reflection, { ServerReflectionInfo: handler } as UntypedServiceImplementation);
  }
}

/** Fully qualified names of the services in `definition` that belong to one of `packages`. */
export function serviceNames(definition: PackageDefinition, packages: readonly string[]): string[] {
  return Object.entries(definition)
    .filter(([name, value]) => !('format' in value) && packages.some((pkg) => name.startsWith(`${pkg}.`)))
    .map(([name]) => name);
}
