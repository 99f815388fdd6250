import { mkdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { type BrokerSecurity } from '@flywheel/contracts';
import { DEFAULT_BROKER_CONFIG, type BrokerConfig } from './broker-config';
import { jsonLogger, PRIVATE_DIR_MODE } from '@flywheel/dev-server-kit';
import { GroupCoordinator } from './group';
import { ApiKey, type ApiCodec } from './protocol/api';
import { ErrorCode } from './protocol/error-codes';
import * as Api from './protocol/messages';
import { type Reader } from './protocol/reader';
import { Writer } from './protocol/writer';
import { ProducerIdAllocator } from './producer-id-allocator';
import { Connection, ConnectionClosingError, type ConnectionInfo, type RequestHeader } from './server/connection';
import { DataPlane } from './data-plane';
import { AdminPlane } from './admin-plane';
import { FileOffsetStore, TopicStore } from './storage';
import { AccessGuard } from './security/access-guard';
import { KafkaAuthorizer } from './security/authorizer';
import { parseBrokerSecurity, ScramUserStore } from './security/broker-security';
import { ALLOW_ALL, ConnectionAccess, type RequestAccess } from './security/request-access';
import { SaslSession } from './security/sasl-session';

/** What a handler knows of the request beyond its body. */
interface RequestContext {
  version: number;
  clientId: string;
  clientHost: string;
  /** Who sent it and what they may do. */
  access: RequestAccess;
  /** The connection's SASL state; null on the anonymous broker. */
  sasl: SaslSession | null;
}

/** Users and authoriser of a broker that authenticates; null when it is anonymous. */
interface Security {
  users: ScramUserStore;
  authorizer: KafkaAuthorizer;
}

type Handler<Req, Res> = (request: Req, context: RequestContext) => Promise<Res | null> | Res | null;

interface Route {
  codec: ApiCodec<unknown, unknown>;
  handle: Handler<unknown, unknown>;
}

/**
 * A single-node broker that speaks the Kafka wire protocol to unmodified kafkajs and librdkafka
 * clients: topics, produce/fetch, consumer groups and admin, stored durably under `dataDir`.
 * A development and test default, not a production broker.
 */
export class KafkaBroker {
  private readonly routes = new Map<number, Route>();
  private readonly connections = new Set<Connection>();
  private retentionTimer?: NodeJS.Timeout;
  private stopped = false;

  private constructor(
    readonly config: BrokerConfig,
    private readonly server: Server,
    private readonly topics: TopicStore,
    private readonly offsets: FileOffsetStore,
    private readonly groups: GroupCoordinator,
    private readonly data: DataPlane,
    private readonly admin: AdminPlane,
    private readonly security: Security | null,
  ) {
    this.registerRoutes();
  }

  /**
   * New users and ACLs for an authenticating broker, checked as at start: new connections
   * authenticate against the users, and every request from now on, on every connection, is
   * authorised by the ACLs. What is refused leaves the current security as it is.
   */
  updateSecurity(security: BrokerSecurity): void {
    if (!this.security) throw new Error('an anonymous broker has no users or ACLs to update');
    const settings = parseBrokerSecurity(security);
    this.security.users.replace(settings.users);
    this.security.authorizer.replace(settings);
  }

  static async start(options: Partial<BrokerConfig> & { dataDir: string }): Promise<KafkaBroker> {
    const config: BrokerConfig = { ...DEFAULT_BROKER_CONFIG, logger: jsonLogger('info', 'kafka-broker'), ...options };
    // Checked before anything touches the disk: a bad ACL must not leave a half-started broker.
    const settings = config.security === 'anonymous' ? null : parseBrokerSecurity(config.security);
    const security = settings && { users: new ScramUserStore(settings.users), authorizer: new KafkaAuthorizer(settings) };
    mkdirSync(config.dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const topics = TopicStore.open(config.dataDir, {
      segmentBytes: config.segmentBytes,
      retentionMs: config.retentionMs,
      retentionBytes: config.retentionBytes,
      maxMessageBytes: config.messageMaxBytes,
      fsync: config.fsync,
    });
    const offsets = FileOffsetStore.open(join(config.dataDir, 'consumer-offsets.journal'));
    const groups = new GroupCoordinator({ offsets, initialRebalanceDelayMs: config.initialRebalanceDelayMs });
    const producerIds = ProducerIdAllocator.open(join(config.dataDir, 'producer-ids'));
    const data = new DataPlane(config, topics);
    const admin = new AdminPlane(config, topics, offsets, producerIds);
    const server = createServer();
    const broker = new KafkaBroker(config, server, topics, offsets, groups, data, admin, security);
    await broker.listen();
    return broker;
  }

  /** The port actually bound (differs from the configured one when that was 0). */
  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : this.config.port;
  }

  /** `host:port` as clients should put it in their bootstrap list. */
  get bootstrapAddress(): string {
    return `${this.config.advertisedHost}:${this.port}`;
  }

  private listen(): Promise<void> {
    this.server.on('connection', (socket: Socket) => this.accept(socket));
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.config.port, this.config.host, () => {
        this.server.off('error', reject);
        this.config.logger.info('kafka broker listening', {
          address: this.bootstrapAddress,
          dataDir: this.config.dataDir,
          authentication: this.security ? 'SASL_PLAINTEXT/SCRAM-SHA-512' : 'none (anonymous)',
        });
        this.retentionTimer = setInterval(() => this.topics.applyRetention(Date.now()), this.config.retentionCheckIntervalMs);
        this.retentionTimer.unref();
        resolve();
      });
    });
  }

  private accept(socket: Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    const clientHost = socket.remoteAddress ?? 'unknown';
    const logger = this.config.logger;
    const sasl = this.security && new SaslSession(this.security.users, logger, clientHost);
    const access =
      sasl && this.security ? new ConnectionAccess(this.security.authorizer, () => sasl.principal, logger, clientHost) : ALLOW_ALL;
    const connection = new Connection(
      socket,
      (header, body, info) => this.dispatch(header, body, info, access, sasl),
      logger,
      this.config.maxRequestBytes,
      sasl,
    );
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
  }

  /** Stops accepting, answers waiting requests, closes every connection and the stores. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.retentionTimer);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.data.close();
    this.groups.close();
    for (const connection of this.connections) connection.close();
    await closed;
    this.topics.close();
    this.offsets.close();
    this.config.logger.info('kafka broker stopped', { address: this.bootstrapAddress });
  }

  private dispatch(
    header: RequestHeader,
    body: Reader,
    connection: ConnectionInfo,
    access: RequestAccess,
    sasl: SaslSession | null,
  ): Promise<Buffer[] | null> | Buffer[] | null {
    if (header.apiKey === ApiKey.ApiVersions && header.apiVersion > Api.ApiVersions.maxVersion) {
      // librdkafka opens with a newer ApiVersions; the v0-shaped error tells it our range and
      // it asks again with v0 (KIP-511).
      return this.encode(Api.ApiVersions, 0, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: this.apiVersions() });
    }
    const route = this.routes.get(header.apiKey);
    if (!route) throw new UnsupportedRequestError(`unknown api key ${header.apiKey}`);
    if (header.apiVersion < 0 || header.apiVersion > route.codec.maxVersion) {
      throw new UnsupportedRequestError(`api key ${header.apiKey} version ${header.apiVersion} is not supported`);
    }
    if (isFlexible(route.codec, header.apiVersion)) body.skipTaggedFields(); // request header v2
    const request = route.codec.decodeRequest(body, header.apiVersion);
    const context = { version: header.apiVersion, clientId: header.clientId ?? '', clientHost: connection.clientHost, access, sasl };
    const response = route.handle(request, context);
    if (response instanceof Promise) {
      return response.then((r) => (r === null ? null : this.encode(route.codec, header.apiVersion, r)));
    }
    return response === null ? null : this.encode(route.codec, header.apiVersion, response);
  }

  private encode<Res>(codec: ApiCodec<unknown, Res>, version: number, response: Res): Buffer[] {
    const writer = new Writer();
    if (isFlexible(codec, version)) writer.noTaggedFields(); // response header v1
    codec.encodeResponse(writer, version, response);
    return writer.finish();
  }

  private route<Req, Res>(codec: ApiCodec<Req, Res>, handle: Handler<Req, Res>): void {
    this.routes.set(codec.key, { codec, handle } as unknown as Route);
  }

  apiVersions(): Api.ApiVersionsResponse['apiKeys'] {
    return [...this.routes.values()]
      .map((r) => ({ apiKey: r.codec.key, minVersion: 0, maxVersion: r.codec.maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey);
  }

  private registerRoutes(): void {
    const node = () => ({ nodeId: this.config.nodeId, host: this.config.advertisedHost, port: this.port });
    const groupDenied = (groupId: string, access: RequestAccess) => AccessGuard.groupMembership(groupId, access);
    this.route(Api.ApiVersions, () => ({ errorCode: ErrorCode.NONE, apiKeys: this.apiVersions() }));
    // On the anonymous broker, as on Kafka's PLAINTEXT listener, SASL requests are out of place.
    this.route(Api.SaslHandshake, (req, { sasl, version }) =>
      sasl ? sasl.handshake(req.mechanism, version) : { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] },
    );
    this.route(Api.SaslAuthenticate, (req, { sasl }) =>
      sasl
        ? sasl.authenticate(req.authBytes)
        : {
            errorCode: ErrorCode.ILLEGAL_SASL_STATE,
            errorMessage: 'SASL is not enabled',
            authBytes: Buffer.alloc(0),
            sessionLifetimeMs: 0,
          },
    );
    this.route(Api.Produce, (req, { access }) => AccessGuard.produce(req, access, (r) => this.data.produce(r)));
    this.route(Api.Fetch, (req, { access }) => AccessGuard.fetch(req, access, (r) => this.data.fetch(r)));
    this.route(Api.ListOffsets, (req, { access }) => AccessGuard.listOffsets(req, access, (r) => this.data.listOffsets(r)));
    this.route(Api.Metadata, (req, { access }) =>
      AccessGuard.metadata(req, access, (r, mayCreate) => this.admin.metadata(r, node(), mayCreate)),
    );
    this.route(Api.FindCoordinator, (req, { access }) => {
      const errorCode = AccessGuard.findCoordinator(req, access);
      return errorCode === ErrorCode.NONE ? { errorCode, ...node() } : { errorCode, nodeId: -1, host: '', port: -1 };
    });
    this.route(Api.CreateTopics, (req, { access }) => AccessGuard.createTopics(req, access, (r) => this.admin.createTopics(r)));
    this.route(Api.DeleteTopics, (req, { access }) => AccessGuard.deleteTopics(req, access, (r) => this.admin.deleteTopics(r)));
    this.route(Api.CreatePartitions, (req, { access }) => AccessGuard.createPartitions(req, access, (r) => this.admin.createPartitions(r)));
    this.route(Api.DescribeConfigs, (req, { access }) => AccessGuard.describeConfigs(req, access, (r) => this.admin.describeConfigs(r)));
    this.route(Api.InitProducerId, (req, { access }) => {
      const errorCode = AccessGuard.initProducerId(req, access);
      return errorCode === ErrorCode.NONE ? this.admin.initProducerId() : { errorCode, producerId: -1, producerEpoch: -1 };
    });

    this.route(Api.JoinGroup, (req, { version, clientId, clientHost, access }) => {
      const errorCode = groupDenied(req.groupId, access);
      if (errorCode !== ErrorCode.NONE)
        return { errorCode, generationId: -1, protocolName: '', leader: '', memberId: req.memberId, members: [] };
      return this.groups.joinGroup({ ...req, clientId, clientHost }, version);
    });
    this.route(Api.SyncGroup, (req, { access }) => {
      const errorCode = groupDenied(req.groupId, access);
      return errorCode === ErrorCode.NONE ? this.groups.syncGroup(req) : { errorCode, assignment: Buffer.alloc(0) };
    });
    this.route(Api.Heartbeat, (req, { access }) => ({ errorCode: groupDenied(req.groupId, access) || this.groups.heartbeat(req) }));
    this.route(Api.LeaveGroup, (req, { access }) => ({ errorCode: groupDenied(req.groupId, access) || this.groups.leaveGroup(req) }));
    this.route(Api.OffsetCommit, (req, { access }) => AccessGuard.offsetCommit(req, access, (r) => this.groups.commitOffsets(r)));
    this.route(Api.OffsetFetch, (req, { access }) =>
      AccessGuard.offsetFetch(req, access, (r) => this.groups.fetchOffsets(r.groupId, r.topics)),
    );
    this.route(Api.ListGroups, (_req, { access }) => ({
      errorCode: ErrorCode.NONE,
      groups: AccessGuard.listGroups(this.groups.listGroups(), access),
    }));
    this.route(Api.DescribeGroups, (req, { access }) => ({
      groups: AccessGuard.describeGroups(req.groups, access, (ids) => this.groups.describeGroups(ids)),
    }));
    this.route(Api.DeleteGroups, (req, { access }) => ({
      results: AccessGuard.deleteGroups(req.groupsNames, access, (ids) => this.groups.deleteGroups(ids)),
    }));
  }
}

function isFlexible(codec: ApiCodec<unknown, unknown>, version: number): boolean {
  return codec.firstFlexibleVersion !== undefined && version >= codec.firstFlexibleVersion;
}

/** An API key or version the broker does not speak: Kafka closes the connection for these. */
export class UnsupportedRequestError extends ConnectionClosingError {}
