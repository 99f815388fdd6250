import { createServer, type Server } from 'node:net';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import {
  type deployerV1,
  type featureStoreV1,
  GrpcServices,
  type ingestionV1,
  type monitorV1,
  type registryV1,
  type trainerV1,
} from '@flywheel/contracts';
import { type RunningConsole, startConsole } from '@flywheel/console';
import { envPrefix, parseReplicas, PlatformLauncher, saveAdminToken, SERVICES, type ServiceName } from '@flywheel/embedded-platform';
import { createGrpcClient, type GrpcClient } from '@flywheel/platform';
import { type HeldPlatform } from './closed-loop-scenario';
import { EventStream } from './event-stream';
import { type ScenarioOptions } from './scenario-options';
import { type Timeline } from './timeline';

/** A gRPC client per service, all with the platform's admin token. */
export interface PlatformClients {
  ingestion: GrpcClient<ingestionV1.IngestionServiceController>;
  featureStore: GrpcClient<featureStoreV1.FeatureStoreServiceController>;
  trainer: GrpcClient<trainerV1.TrainerServiceController>;
  registry: GrpcClient<registryV1.RegistryServiceController>;
  deployer: GrpcClient<deployerV1.DeployerServiceController>;
  monitor: GrpcClient<monitorV1.MonitorServiceController>;
}

/** A service the launcher gave up restarting. */
export interface ServiceCrash {
  service: string;
  reason: string;
  tail: string;
}

/**
 * `count` free loopback ports, all different: every port stays bound until all are chosen, so the
 * kernel cannot hand the same one out twice (ports picked one after another may repeat).
 */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    }
    return servers.map((server) => {
      const address = server.address();
      if (typeof address !== 'object' || !address) throw new Error('no free port');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/**
 * The scenario's own platform: fresh data folder, free ports, the embedded broker, PostgreSQL
 * and S3, the six services as processes; and how the scenario reaches it (gRPC clients, a Kafka
 * producer, the stream of the platform's events). Stopping it stops whatever was started, even
 * when starting failed half-way.
 */
export class ScenarioPlatform {
  /** Set when a service process ended on its own: the scenario stops at its next step. */
  crashed: ServiceCrash | null = null;
  private launcher?: PlatformLauncher;
  private connections: Array<{ close(): void }> = [];
  private kafkaProducer?: Producer;
  private kafkaClient?: Kafka;
  private stream?: EventStream;
  private grpc?: PlatformClients;
  private webConsole?: RunningConsole;
  private adminTokenFile?: string;

  constructor(
    private readonly options: ScenarioOptions,
    private readonly dataDir: string,
    private readonly timeline: Timeline,
  ) {}

  get clients(): PlatformClients {
    return this.connected(this.grpc);
  }

  get producer(): Producer {
    return this.connected(this.kafkaProducer);
  }

  get events(): EventStream {
    return this.connected(this.stream);
  }

  /** A client of the broker with the operator's credentials (admin reads, such as consumer lag). */
  get kafka(): Kafka {
    return this.connected(this.kafkaClient);
  }

  /** The platform's admin token, for callers that build their own gRPC channels. */
  get token(): string {
    return this.connected(this.launcher?.adminToken);
  }

  /** The process ids of a running service's replicas (benchmarks read their CPU time). */
  pidsOf(service: ServiceName): number[] {
    return (this.launcher?.services ?? [])
      .filter((s) => isReplicaOf(s.name, service))
      .flatMap((s) => (s.process.pid === undefined ? [] : [s.process.pid]));
  }

  /** Where a service (every replica: `ip:port,ip:port`) or the broker (`kafka`) listens. */
  address(name: ServiceName | 'kafka'): string {
    const endpoints = this.launcher?.endpoints.filter((e) => isReplicaOf(e.name, name)) ?? [];
    if (endpoints.length === 0) throw new Error(`${name} is not started`);
    return endpoints.map((e) => e.address).join(',');
  }

  /** The URL a service connects to its database with (benchmarks read what it stored). */
  databaseUrl(service: ServiceName): string {
    const url = this.launcher?.databaseUrls.get(service);
    if (!url) throw new Error(`${service} is not started`);
    return url;
  }

  /** The object store the services share, with their credentials. */
  get objectStore(): { endpoint: string; accessKey: string; secretKey: string } {
    return this.connected(this.launcher?.objectStore);
  }

  /** Where the web console the story can be watched in listens. */
  get consoleUrl(): string {
    return this.connected(this.webConsole).url;
  }

  /** The file of the platform's API tokens (a test issues more with `issueToken`; services reread it). */
  get tokensFile(): string {
    return this.connected(this.launcher?.tokensFile);
  }

  whereItListens(): HeldPlatform {
    return {
      consoleUrl: this.consoleUrl,
      tokensFile: this.tokensFile,
      adminTokenFile: this.connected(this.adminTokenFile),
      registry: this.address('registry'),
      deployer: this.address('deployer'),
    };
  }

  /** Whether the platform's events are being followed (they say which step is missing). */
  get following(): boolean {
    return this.stream !== undefined;
  }

  async start(): Promise<void> {
    const t = this.timeline;
    const env = await this.environment();
    t.step(`starting Flywheel on its embedded defaults (data in ${this.dataDir})`);
    const launcher = new PlatformLauncher(
      env,
      (m) => t.note(m),
      (service, reason, tail) => {
        this.crashed = { service, reason, tail };
      },
    );
    this.launcher = launcher;
    await launcher.start();
    const token = launcher.adminToken;
    if (!token) throw new Error(`the data folder ${this.dataDir} already had an admin token: the scenario needs a fresh one`);
    t.note(`all six services healthy in ${(launcher.startupMs / 1000).toFixed(1)} s`);
    this.webConsole = await startConsole({ port: this.options.consolePort, addresses: launcher.serviceAddresses });
    this.adminTokenFile = saveAdminToken(this.dataDir, token);
    t.note(`watch it in the console: ${this.webConsole.url} (sign in with the admin token in ${this.adminTokenFile})`);

    const client = <C>(contract: (typeof GrpcServices)[keyof typeof GrpcServices], service: ServiceName) => {
      const c = createGrpcClient<C>(contract, { address: this.address(service), token, deadlineMs: 60_000 });
      this.connections.push(c);
      return c;
    };
    this.grpc = {
      ingestion: client(GrpcServices.ingestion, 'ingestion'),
      featureStore: client(GrpcServices.featureStore, 'feature-store'),
      trainer: client(GrpcServices.trainer, 'trainer'),
      registry: client(GrpcServices.registry, 'registry'),
      deployer: client(GrpcServices.deployer, 'deployer'),
      monitor: client(GrpcServices.monitor, 'monitor'),
    };

    const kafka = new Kafka({
      clientId: 'flywheel-demo',
      brokers: [this.address('kafka')],
      // The demo plays every team (ingest, labels) and watches every topic: the operator's user.
      sasl: launcher.kafkaSasl && { ...launcher.kafkaSasl },
      logLevel: logLevel.NOTHING,
    });
    this.kafkaClient = kafka;
    this.kafkaProducer = kafka.producer({ allowAutoTopicCreation: false });
    await this.kafkaProducer.connect();
    this.stream = new EventStream(kafka);
    this.stream.onEvent((e) => t.event(e));
    await this.stream.start();
  }

  /** The end of a service's log, or nothing when the service never started. */
  logTail(service: ServiceName, lines: number): string | undefined {
    return this.launcher?.services.find((s) => s.name === service)?.process.tail(lines);
  }

  async stop(): Promise<void> {
    await this.webConsole?.close();
    for (const c of this.connections) c.close();
    await this.kafkaProducer?.disconnect().catch(() => undefined);
    await this.stream?.stop();
    if (this.launcher) {
      this.timeline.note('stopping the platform');
      await this.launcher.stop();
    }
  }

  /** The embedded defaults, whatever the shell says (this platform is the scenario's own), on free ports. */
  private async environment(): Promise<NodeJS.ProcessEnv> {
    const o = this.options;
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of [
      'KAFKA_BROKERS',
      'POSTGRES_URL',
      'S3_ENDPOINT',
      'S3_ACCESS_KEY',
      'S3_SECRET_KEY',
      'FLYWHEEL_TOKENS_FILE',
      'FLYWHEEL_GRPC_BASE_PORT',
      'FLYWHEEL_HTTP_BASE_PORT',
    ]) {
      delete env[name];
    }
    // A free port for each replica (FLYWHEEL_REPLICAS, e.g. from a benchmark), none given twice.
    const replicas = parseReplicas(env.FLYWHEEL_REPLICAS);
    const processes = SERVICES.reduce((n, service) => n + (replicas.get(service) ?? 1), 0);
    const ports = await freePorts(3 + 2 * processes);
    const take = (count: number) => ports.splice(0, count).join(',');
    for (const service of SERVICES) {
      delete env[`${envPrefix(service)}_DATABASE_URL`];
      env[`${envPrefix(service)}_GRPC_PORT`] = take(replicas.get(service) ?? 1);
      env[`${envPrefix(service)}_HTTP_PORT`] = take(replicas.get(service) ?? 1);
    }
    return Object.assign(env, {
      FLYWHEEL_DATA_DIR: this.dataDir,
      KAFKA_PORT: take(1),
      POSTGRES_PORT: take(1),
      S3_PORT: take(1),
      // Short policies for a demo that lasts minutes, not days (each documented in the service's README).
      INGEST_COMMIT_CHECK_MS: '500',
      TRAINING_POLL_INTERVAL_MS: '500',
      MONITOR_ALERT_COOLDOWN_MS: '5000',
      MONITOR_FOLD_INTERVAL_MS: '500',
      CANARY_TRAFFIC_SHARE: String(o.canaryShare),
      CANARY_MIN_REQUESTS: String(o.canaryMinRequests),
      CANARY_MIN_LABELLED: String(Math.max(20, Math.floor(o.canaryMinRequests / 3))),
      CANARY_MAX_DURATION_MS: String(o.stepTimeoutMs),
      // Predictions take well under a millisecond; on a busy laptop a GC pause must not fail a canary.
      CANARY_LATENCY_FLOOR_MS: '5',
    });
  }

  private connected<T>(value: T | undefined): T {
    if (value === undefined) throw new Error('the scenario platform is not started');
    return value;
  }
}

/** `deployer` and `deployer-2` are replicas of the deployer (the launcher's process names). */
function isReplicaOf(processName: string, name: string): boolean {
  return processName === name || new RegExp(`^${name}-\\d+$`).test(processName);
}
