// The ingestion benchmark's gRPC baseline: a grpc-js server with ingestion's own service
// definition that answers every Ingest with an empty summary, in its own process like the
// service. Prints its port.
import { join } from 'node:path';
import { loadPackageDefinition, Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { GRPC_LOADER_OPTIONS, GrpcServices, type ingestionV1, protoRoot } from '@flywheel/contracts';
import { FLOW_CONTROL_WINDOW_OPTION, GRPC_FLOW_CONTROL_WINDOW_BYTES } from '@flywheel/platform';

const definition = loadSync(join(protoRoot(), GrpcServices.ingestion.protoPath), { ...GRPC_LOADER_OPTIONS, includeDirs: [protoRoot()] });
const service = [...GrpcServices.ingestion.packageName.split('.'), GrpcServices.ingestion.serviceName].reduce<unknown>(
  (node, part) => (node as Record<string, unknown>)[part],
  loadPackageDefinition(definition),
) as { service: ServiceDefinition };
// The service's flow-control window too: the baseline's transport is the service's.
const server = new Server({ 'grpc.max_receive_message_length': 16 << 20, [FLOW_CONTROL_WINDOW_OPTION]: GRPC_FLOW_CONTROL_WINDOW_BYTES });
server.addService(service.service, {
  ingest: (_call: unknown, callback: (error: null, response: ingestionV1.IngestResponse) => void) =>
    callback(null, { summary: { accepted: 0, quarantined: 0, duplicates: 0, rejections: [], committedVersion: undefined } }),
});
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  process.stdout.write(`${port}\n`);
});
process.on('SIGTERM', () => server.forceShutdown());
