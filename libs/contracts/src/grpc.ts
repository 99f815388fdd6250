/**
 * Where the .proto files are and how NestJS must load them so that what arrives at runtime
 * matches the generated types.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEPLOYER_SERVICE_NAME, FLYWHEEL_DEPLOYER_V1_PACKAGE_NAME } from './generated/flywheel/deployer/v1/deployer';
import { FEATURE_STORE_SERVICE_NAME, FLYWHEEL_FEATURESTORE_V1_PACKAGE_NAME } from './generated/flywheel/featurestore/v1/featurestore';
import { GRPC_INFERENCE_SERVICE_NAME, INFERENCE_PACKAGE_NAME } from './generated/inference/grpc_predict_v2';
import { FLYWHEEL_INGESTION_V1_PACKAGE_NAME, INGESTION_SERVICE_NAME } from './generated/flywheel/ingestion/v1/ingestion';
import { FLYWHEEL_MONITOR_V1_PACKAGE_NAME, MONITOR_SERVICE_NAME } from './generated/flywheel/monitor/v1/monitor';
import { FLYWHEEL_REGISTRY_V1_PACKAGE_NAME, REGISTRY_SERVICE_NAME } from './generated/flywheel/registry/v1/registry';
import { FLYWHEEL_TRAINER_V1_PACKAGE_NAME, TRAINER_SERVICE_NAME } from './generated/flywheel/trainer/v1/trainer';

/**
 * @grpc/proto-loader options matching ts-proto's output: camelCase keys, int64 as number,
 * numeric enums, scalars filled with their defaults, oneofs flat — without the virtual
 * properties naming the member that is set (`kind: "numberValue"`, `_pValue: "pValue"` for a
 * proto3 optional), which no generated type has and which would leak into every JSON a client
 * prints; an unset oneof member or optional field is simply absent. One difference remains: an
 * unset message field arrives as `null` where the type says `undefined`; the platform's gRPC
 * server and client remove those nulls at the edge (`withoutWireNulls`), so nothing past them sees one.
 */
export const GRPC_LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: Number,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: false,
} as const;

export interface GrpcServiceContract {
  /** Proto package, e.g. `flywheel.registry.v1`. */
  readonly packageName: string;
  /** Service name inside the package, e.g. `RegistryService`. */
  readonly serviceName: string;
  /** Path of its .proto file relative to `protoRoot()`. */
  readonly protoPath: string;
}

export const GrpcServices = {
  ingestion: {
    packageName: FLYWHEEL_INGESTION_V1_PACKAGE_NAME,
    serviceName: INGESTION_SERVICE_NAME,
    protoPath: 'flywheel/ingestion/v1/ingestion.proto',
  },
  featureStore: {
    packageName: FLYWHEEL_FEATURESTORE_V1_PACKAGE_NAME,
    serviceName: FEATURE_STORE_SERVICE_NAME,
    protoPath: 'flywheel/featurestore/v1/featurestore.proto',
  },
  trainer: {
    packageName: FLYWHEEL_TRAINER_V1_PACKAGE_NAME,
    serviceName: TRAINER_SERVICE_NAME,
    protoPath: 'flywheel/trainer/v1/trainer.proto',
  },
  registry: {
    packageName: FLYWHEEL_REGISTRY_V1_PACKAGE_NAME,
    serviceName: REGISTRY_SERVICE_NAME,
    protoPath: 'flywheel/registry/v1/registry.proto',
  },
  deployer: {
    packageName: FLYWHEEL_DEPLOYER_V1_PACKAGE_NAME,
    serviceName: DEPLOYER_SERVICE_NAME,
    protoPath: 'flywheel/deployer/v1/deployer.proto',
  },
  monitor: {
    packageName: FLYWHEEL_MONITOR_V1_PACKAGE_NAME,
    serviceName: MONITOR_SERVICE_NAME,
    protoPath: 'flywheel/monitor/v1/monitor.proto',
  },
} as const satisfies Record<string, GrpcServiceContract>;

/** The Open Inference Protocol's gRPC service (KServe V2), which the deployer serves beside its own. */
export const OpenInferenceService: GrpcServiceContract = {
  packageName: INFERENCE_PACKAGE_NAME,
  serviceName: GRPC_INFERENCE_SERVICE_NAME,
  protoPath: 'inference/grpc_predict_v2.proto',
};

const PROTO_ROOT_MARKER = join('proto', 'buf.yaml');
// From libs/contracts/src (sources) or dist/libs/contracts/src (build) up to the repository.
const MAX_LEVELS_UP = 8;

/**
 * Absolute path of the `proto/` folder (the include directory of every .proto file):
 * `FLYWHEEL_PROTO_ROOT` if set (container images), else found upwards from this file.
 */
export function protoRoot(): string {
  const configured = process.env.FLYWHEEL_PROTO_ROOT;
  if (configured) {
    return configured;
  }
  let dir = __dirname;
  for (let level = 0; level <= MAX_LEVELS_UP; level++) {
    if (existsSync(join(dir, PROTO_ROOT_MARKER))) {
      return join(dir, 'proto');
    }
    const parent = dirname(dir);
    if (parent === dir) {
      break;
    }
    dir = parent;
  }
  throw new Error(`proto/ not found above ${__dirname}; set FLYWHEEL_PROTO_ROOT`);
}

const DESCRIPTOR_SET_PATH = join(__dirname, 'generated', 'file-descriptor-set.binpb');

/**
 * The serialized google.protobuf.FileDescriptorSet of every Flywheel .proto file, their imports and
 * the gRPC health and reflection protos, as `buf build` compiles them (`npm run generate`).
 */
export function fileDescriptorSet(): Uint8Array {
  if (!existsSync(DESCRIPTOR_SET_PATH)) {
    throw new Error(`${DESCRIPTOR_SET_PATH} is missing: run \`npm run generate\``);
  }
  return readFileSync(DESCRIPTOR_SET_PATH);
}
