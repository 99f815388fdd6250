import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distinctPorts } from '@flywheel/test-kit';
import { PlatformLauncher } from './platform-launcher';
import { envPrefix, SERVICES } from './service-catalog';

describe('npm start beside something holding its ports', () => {
  let dataDir: string;
  let holder: Server;
  let port: number;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'flywheel-ports-'));
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen({ port: 0, host: '127.0.0.1' }, resolve));
    port = (holder.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => holder.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fails before starting anything, naming the taken port and the variable that moves it', async () => {
    const progress: string[] = [];
    // Every other port free, so that the taken one is the whole story.
    const free = await distinctPorts(2 * SERVICES.length + 1);
    const servicePorts = Object.fromEntries(
      SERVICES.flatMap((service, i) => [
        [`${envPrefix(service)}_GRPC_PORT`, String(free[2 * i])],
        [`${envPrefix(service)}_HTTP_PORT`, String(free[2 * i + 1])],
      ]),
    );
    const launcher = new PlatformLauncher(
      { FLYWHEEL_DATA_DIR: dataDir, KAFKA_PORT: String(port), S3_PORT: String(free[2 * SERVICES.length]), ...servicePorts },
      (message) => progress.push(message),
      () => undefined,
    );
    try {
      await expect(launcher.start()).rejects.toThrow(
        `port ${port} (the Kafka broker) is in use: set KAFKA_PORT to move it — is another Flywheel running?`,
      );
      expect(launcher.endpoints).toEqual([]);
      expect(progress.filter((m) => m.startsWith('starting'))).toEqual([]);
    } finally {
      await launcher.stop();
    }
  });
});
