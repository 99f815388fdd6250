import { protoRoot } from '@flywheel/contracts';
// The echo service as its own process, started the way a Flywheel service's main.ts starts it.
import { baseConfigSchema } from '../config/base-config.schema';
import { loadConfig } from '../config/load-config';
import { bootstrapService } from '../bootstrap/bootstrap-service';
import { ECHO_PACKAGE, ECHO_PROTO_PATH, EchoModule } from './echo-app';
import { echoDescriptorSet } from './echo-descriptor-set';

bootstrapService({
  name: 'echo',
  module: EchoModule,
  grpc: {
    package: ECHO_PACKAGE,
    protoPath: ECHO_PROTO_PATH,
    loader: { includeDirs: [protoRoot()] },
    descriptorSets: [echoDescriptorSet()],
  },
  config: loadConfig(baseConfigSchema),
}).catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
