import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@flywheel/platform';
import { CONSOLE_SERVICES } from './backend';
import { CONSOLE_ADDRESS_VARIABLES, consoleOptionsOf, loadConsoleConfig } from './console-config';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConsoleConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('the console configuration', () => {
  it("defaults to port 8080 on loopback, `npm start`'s service addresses, plain cookies and 8-hour sessions", () => {
    const config = loadConsoleConfig({});
    expect(config).toEqual({
      CONSOLE_HTTP_PORT: 8080,
      CONSOLE_HTTP_HOST: '127.0.0.1',
      INGESTION_GRPC_ADDRESS: '127.0.0.1:8051',
      FEATURE_STORE_GRPC_ADDRESS: '127.0.0.1:8052',
      TRAINER_GRPC_ADDRESS: '127.0.0.1:8053',
      REGISTRY_GRPC_ADDRESS: '127.0.0.1:8054',
      DEPLOYER_GRPC_ADDRESS: '127.0.0.1:8055',
      MONITOR_GRPC_ADDRESS: '127.0.0.1:8056',
      CONSOLE_SECURE_COOKIES: false,
      CONSOLE_SESSION_IDLE_MINUTES: 480,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(consoleOptionsOf(config)).toEqual({
      port: 8080,
      host: '127.0.0.1',
      addresses: {
        ingestion: '127.0.0.1:8051',
        'feature-store': '127.0.0.1:8052',
        trainer: '127.0.0.1:8053',
        registry: '127.0.0.1:8054',
        deployer: '127.0.0.1:8055',
        monitor: '127.0.0.1:8056',
      },
      secureCookies: false,
      sessionIdleMs: 8 * 60 * 60 * 1000,
      tlsCaFile: undefined,
    });
  });

  it('reads each service address from the variable the services and the flywheel command use', () => {
    expect(Object.keys(CONSOLE_ADDRESS_VARIABLES)).toEqual([...CONSOLE_SERVICES]);
    const env = {
      CONSOLE_HTTP_PORT: '9090',
      CONSOLE_HTTP_HOST: '0.0.0.0',
      INGESTION_GRPC_ADDRESS: 'ingestion:8051',
      FEATURE_STORE_GRPC_ADDRESS: 'feature-store:8052',
      TRAINER_GRPC_ADDRESS: 'trainer:8053',
      REGISTRY_GRPC_ADDRESS: '10.0.0.1:8054,10.0.0.2:8054',
      DEPLOYER_GRPC_ADDRESS: 'dns:///deployer:8055',
      MONITOR_GRPC_ADDRESS: 'monitor:8056',
      CONSOLE_SECURE_COOKIES: 'true',
      CONSOLE_SESSION_IDLE_MINUTES: '30',
    };
    expect(consoleOptionsOf(loadConsoleConfig(env))).toEqual({
      port: 9090,
      host: '0.0.0.0',
      addresses: {
        ingestion: 'ingestion:8051',
        'feature-store': 'feature-store:8052',
        trainer: 'trainer:8053',
        registry: '10.0.0.1:8054,10.0.0.2:8054',
        deployer: 'dns:///deployer:8055',
        monitor: 'monitor:8056',
      },
      secureCookies: true,
      sessionIdleMs: 30 * 60 * 1000,
      tlsCaFile: undefined,
    });
  });

  it('names every bad variable at once, with its reason and value', () => {
    const error = configError({
      CONSOLE_HTTP_PORT: 'eighty',
      CONSOLE_HTTP_HOST: '',
      REGISTRY_GRPC_ADDRESS: 'registry',
      CONSOLE_SECURE_COOKIES: 'maybe',
      CONSOLE_SESSION_IDLE_MINUTES: '0',
    });
    expect(error.issues.map((issue) => [issue.variable, issue.reason])).toEqual([
      ['CONSOLE_HTTP_PORT', 'must be a port number'],
      ['REGISTRY_GRPC_ADDRESS', expect.stringContaining('must be host:port, ip:port,ip:port or dns:///name:port')],
      ['CONSOLE_SECURE_COOKIES', 'must be one of true, 1, yes, false, 0, no'],
      ['CONSOLE_SESSION_IDLE_MINUTES', 'must be at least 1'],
    ]);
    expect(error.message).toContain('CONSOLE_HTTP_PORT: must be a port number (got "eighty")');
    expect(configError({ CONSOLE_HTTP_PORT: '70000' }).issues[0]).toEqual({
      variable: 'CONSOLE_HTTP_PORT',
      reason: 'must be between 0 and 65535',
      value: '"70000"',
    });
    expect(configError({ CONSOLE_SESSION_IDLE_MINUTES: '1.5' }).issues[0].reason).toBe('must be an integer');
  });

  describe('CONSOLE_GRPC_TLS_CA_FILE', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'flywheel-console-config-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('is handed to the gRPC clients when the file is readable, and refused at boot when it is not', () => {
      const ca = join(dir, 'ca.pem');
      writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
      expect(consoleOptionsOf(loadConsoleConfig({ CONSOLE_GRPC_TLS_CA_FILE: ca })).tlsCaFile).toBe(ca);
      expect(configError({ CONSOLE_GRPC_TLS_CA_FILE: join(dir, 'missing.pem') }).issues).toEqual([
        { variable: 'CONSOLE_GRPC_TLS_CA_FILE', reason: 'must be a readable file', value: JSON.stringify(join(dir, 'missing.pem')) },
      ]);
    });
  });
});
