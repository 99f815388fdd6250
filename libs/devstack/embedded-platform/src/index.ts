// The whole platform on one machine: the embedded infrastructure and the six services as processes.
export { ADMIN_TOKEN_FILE, type AdminTokenDestination, adminTokenLines, saveAdminToken } from './admin-token-output';
export { type Endpoint, type LaunchProgress, PlatformLauncher } from './platform-launcher';
export { DEFAULT_POSTGRES_ROOT, postgresClusterOf, removeDataFolder } from './postgres-home';
export {
  DEFAULT_GRPC_BASE_PORT,
  DEFAULT_HTTP_BASE_PORT,
  DEFAULT_INFRASTRUCTURE_PORTS,
  SERVICES,
  type ServiceName,
  databaseName,
  envPrefix,
  serviceEntryPoint,
} from './service-catalog';
export { ServiceProcess, type ServiceProcessOptions } from './service-process';
export { type KafkaSasl } from './kafka-credentials';
export { ServiceSupervisor, type SupervisorEvents } from './service-supervisor';
export * from './service-replicas';
export { DEFAULT_RESTART_POLICY, RestartPolicy, type RestartDecision, type RestartPolicyOptions } from './restart-policy';
