import { accessSync, constants } from 'node:fs';
import { envBoolean, envGrpcAddress, envInt, envPort, envString, loadConfig } from '@flywheel/platform';
import { z } from 'zod';
import { CONSOLE_SERVICES, type ConsoleService, type ServiceAddresses } from './backend';
import { type ConsoleOptions } from './server';

/**
 * Each service's address variable, the same one the services and the `flywheel` command read
 * (REGISTRY_GRPC_ADDRESS, …), with the same loopback default as `npm start`'s ports.
 */
export const CONSOLE_ADDRESS_VARIABLES = {
  ingestion: 'INGESTION_GRPC_ADDRESS',
  'feature-store': 'FEATURE_STORE_GRPC_ADDRESS',
  trainer: 'TRAINER_GRPC_ADDRESS',
  registry: 'REGISTRY_GRPC_ADDRESS',
  deployer: 'DEPLOYER_GRPC_ADDRESS',
  monitor: 'MONITOR_GRPC_ADDRESS',
} as const satisfies Record<ConsoleService, string>;

const DEFAULT_ADDRESSES: Record<ConsoleService, string> = {
  ingestion: '127.0.0.1:8051',
  'feature-store': '127.0.0.1:8052',
  trainer: '127.0.0.1:8053',
  registry: '127.0.0.1:8054',
  deployer: '127.0.0.1:8055',
  monitor: '127.0.0.1:8056',
};

const MAX_IDLE_MINUTES = 7 * 24 * 60;

/** A file the process can read now, rather than a failed sign-in later. */
function readableFile() {
  return envString()
    .optional()
    .refine(
      (file) => {
        if (file === undefined) return true;
        try {
          accessSync(file, constants.R_OK);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'must be a readable file' },
    );
}

/** What the console reads at boot when it runs as a process of its own (`node …/console/src/main.js`). */
export const consoleConfigSchema = z.object({
  CONSOLE_HTTP_PORT: envPort(8080),
  /** 127.0.0.1 unless told; the image sets 0.0.0.0. */
  CONSOLE_HTTP_HOST: envString('127.0.0.1'),
  INGESTION_GRPC_ADDRESS: envGrpcAddress(DEFAULT_ADDRESSES.ingestion),
  FEATURE_STORE_GRPC_ADDRESS: envGrpcAddress(DEFAULT_ADDRESSES['feature-store']),
  TRAINER_GRPC_ADDRESS: envGrpcAddress(DEFAULT_ADDRESSES.trainer),
  REGISTRY_GRPC_ADDRESS: envGrpcAddress(DEFAULT_ADDRESSES.registry),
  DEPLOYER_GRPC_ADDRESS: envGrpcAddress(DEFAULT_ADDRESSES.deployer),
  MONITOR_GRPC_ADDRESS: envGrpcAddress(DEFAULT_ADDRESSES.monitor),
  /** `Secure` session cookies, for a console reached through an HTTPS proxy. */
  CONSOLE_SECURE_COOKIES: envBoolean(false),
  /** A session unused this long is forgotten. */
  CONSOLE_SESSION_IDLE_MINUTES: envInt({ min: 1, max: MAX_IDLE_MINUTES, default: 8 * 60 }),
  /** PEM of the CA that signed the services' certificates (services run with TLS_CERT_FILE); unset, plaintext gRPC. */
  CONSOLE_GRPC_TLS_CA_FILE: readableFile(),
});

export type ConsoleConfig = Readonly<z.infer<typeof consoleConfigSchema>>;

/** Reads and checks the environment once; a bad value throws a `ConfigError` naming its variable. */
export function loadConsoleConfig(env: NodeJS.ProcessEnv | Record<string, string>): ConsoleConfig {
  return loadConfig(consoleConfigSchema, env);
}

/** The options of `startConsole` a configuration gives. */
export function consoleOptionsOf(config: ConsoleConfig): ConsoleOptions {
  const addresses: ServiceAddresses = Object.fromEntries(
    CONSOLE_SERVICES.map((service) => [service, config[CONSOLE_ADDRESS_VARIABLES[service]]]),
  );
  return {
    port: config.CONSOLE_HTTP_PORT,
    host: config.CONSOLE_HTTP_HOST,
    addresses,
    secureCookies: config.CONSOLE_SECURE_COOKIES,
    sessionIdleMs: config.CONSOLE_SESSION_IDLE_MINUTES * 60_000,
    tlsCaFile: config.CONSOLE_GRPC_TLS_CA_FILE,
  };
}
