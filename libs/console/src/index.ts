// The web console: server-rendered pages over the services' gRPC APIs, signed in with a team token.
export {
  CONSOLE_SERVICES,
  type ConsoleBackend,
  type ConsoleService,
  type DeployerCalls,
  type FeatureStoreCalls,
  grpcBackend,
  type IngestionCalls,
  type MonitorCalls,
  type RegistryCalls,
  type ServiceAddresses,
  type TrainerCalls,
} from './backend';
export { CONSOLE_ADDRESS_VARIABLES, type ConsoleConfig, consoleConfigSchema, consoleOptionsOf, loadConsoleConfig } from './console-config';
export { escapeHtml, html, raw, SafeHtml } from './html';
export { type ConsoleOptions, type RunningConsole, startConsole } from './server';
