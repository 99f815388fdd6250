import { once } from 'node:events';
import * as http2 from 'node:http2';
import { type AddressInfo } from 'node:net';
import { GrpcServices } from '@flywheel/contracts';
import { eventually } from '@flywheel/test-kit';
import { baseConfigSchema } from '../config/base-config.schema';
import { loadConfig } from '../config/load-config';
import { type EchoHarness, startEchoService } from '../testing/echo-harness';
import { GRPC_FLOW_CONTROL_WINDOW_BYTES } from './flow-control';
import { createGrpcClient } from './grpc-client';

const HTTP2_DEFAULT_WINDOW = 65_535;

/** A plain HTTP/2 client session to a gRPC server, with the SETTINGS the server sent first. */
async function connect(address: string): Promise<{ session: http2.ClientHttp2Session; settings: http2.Settings }> {
  const session = http2.connect(`http://${address}`);
  const [settings] = (await once(session, 'remoteSettings')) as [http2.Settings];
  return { session, settings };
}

/** A round trip on the session: every frame the server sent before the PING's answer has been read. */
function ping(session: http2.ClientHttp2Session): Promise<void> {
  return new Promise((resolve, reject) => session.ping((error) => (error ? reject(error) : resolve())));
}

describe("gRPC's HTTP/2 flow-control windows", () => {
  describe('a service’s server', () => {
    let harness: EchoHarness | undefined;
    let session: http2.ClientHttp2Session | undefined;
    afterEach(async () => {
      session?.destroy();
      await harness?.stop();
      harness = undefined;
      session = undefined;
    });

    it('lets a client send GRPC_FLOW_CONTROL_WINDOW_BYTES on each stream and on the connection before it waits', async () => {
      harness = await startEchoService();
      const connected = await connect(harness.service.grpcAddress);
      session = connected.session;
      expect(connected.settings.initialWindowSize).toBe(GRPC_FLOW_CONTROL_WINDOW_BYTES);
      // The connection's window is not a setting: the server widens it with a WINDOW_UPDATE.
      expect(await eventually(() => session!.state.remoteWindowSize === GRPC_FLOW_CONTROL_WINDOW_BYTES, 5_000, 10)).toBe(true);
    });

    it("keeps HTTP/2's 64 KiB windows when GRPC_FLOW_CONTROL_WINDOW_BYTES says so", async () => {
      harness = await startEchoService({ env: { GRPC_FLOW_CONTROL_WINDOW_BYTES: String(HTTP2_DEFAULT_WINDOW) } });
      const connected = await connect(harness.service.grpcAddress);
      session = connected.session;
      await ping(session);
      expect(connected.settings.initialWindowSize).toBe(HTTP2_DEFAULT_WINDOW);
      expect(session.state.remoteWindowSize).toBe(HTTP2_DEFAULT_WINDOW);
    });
  });

  it('refuses a window below HTTP/2’s minimum at boot, naming the variable', () => {
    expect(() =>
      loadConfig(baseConfigSchema, {
        DATABASE_URL: 'postgres://flywheel@127.0.0.1:5432/flywheel',
        FLYWHEEL_TOKENS_FILE: '/tmp/tokens.json',
        GRPC_FLOW_CONTROL_WINDOW_BYTES: '1024',
      }),
    ).toThrow(/GRPC_FLOW_CONTROL_WINDOW_BYTES/);
  });

  it('a client made by createGrpcClient gives servers the same windows for its answers', async () => {
    const server = http2.createServer();
    const peers: Array<Promise<{ settings: http2.Settings; session: http2.ServerHttp2Session }>> = [];
    server.on('session', (session: http2.ServerHttp2Session) => {
      peers.push(once(session, 'remoteSettings').then(([settings]) => ({ settings: settings as http2.Settings, session })));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = createGrpcClient(GrpcServices.registry, { address: `127.0.0.1:${(server.address() as AddressInfo).port}` });
    try {
      // Connecting is enough: the client's SETTINGS and WINDOW_UPDATE come before any call.
      client.raw.waitForReady(Date.now() + 5_000, () => undefined);
      expect(await eventually(() => peers.length > 0, 5_000, 10)).toBe(true);
      const { settings, session } = await peers[0];
      expect(settings.initialWindowSize).toBe(GRPC_FLOW_CONTROL_WINDOW_BYTES);
      expect(await eventually(() => session.state.remoteWindowSize === GRPC_FLOW_CONTROL_WINDOW_BYTES, 5_000, 10)).toBe(true);
    } finally {
      client.close();
      for (const peer of peers) (await peer).session.destroy();
      server.close();
    }
  });
});
