import { mkdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
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

/** What a handler knows of the request beyond its body. */
interface RequestContext {
  version: number;
  clientId: string;
  clientHost: string;
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
  ) {
    this.registerRoutes();
  }

  static async start(options: Partial<BrokerConfig> & { dataDir: string }): Promise<KafkaBroker> {
    const config: BrokerConfig = { ...DEFAULT_BROKER_CONFIG, logger: jsonLogger('info', 'kafka-broker'), ...options };
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
    const broker = new KafkaBroker(config, server, topics, offsets, groups, data, admin);
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
        this.config.logger.info('kafka broker listening', { address: this.bootstrapAddress, dataDir: this.config.dataDir });
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
    const connection = new Connection(
      socket,
      (header, body, info) => this.dispatch(header, body, info),
      this.config.logger,
      this.config.maxRequestBytes,
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

  private dispatch(header: RequestHeader, body: Reader, connection: ConnectionInfo): Promise<Buffer[] | null> | Buffer[] | null {
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
    const request = route.codec.decodeRequest(body, header.apiVersion);
    const context = { version: header.apiVersion, clientId: header.clientId ?? '', clientHost: connection.clientHost };
    const response = route.handle(request, context);
    if (response instanceof Promise) {
      return response.then((r) => (r === null ? null : this.encode(route.codec, header.apiVersion, r)));
    }
    return response === null ? null : this.encode(route.codec, header.apiVersion, response);
  }

  private encode<Res>(codec: ApiCodec<unknown, Res>, version: number, response: Res): Buffer[] {
    const writer = new Writer();
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
    this.route(Api.ApiVersions, () => ({ errorCode: ErrorCode.NONE, apiKeys: this.apiVersions() }));
    this.route(Api.Produce, (req) => this.data.produce(req));
    this.route(Api.Fetch, (req) => this.data.fetch(req));
    this.route(Api.ListOffsets, (req) => this.data.listOffsets(req));
    this.route(Api.Metadata, (req) => this.admin.metadata(req, node()));
    this.route(Api.FindCoordinator, () => ({ errorCode: ErrorCode.NONE, ...node() }));
    this.route(Api.CreateTopics, (req) => this.admin.createTopics(req));
    this.route(Api.DeleteTopics, (req) => this.admin.deleteTopics(req));
    this.route(Api.CreatePartitions, (req) => this.admin.createPartitions(req));
    this.route(Api.DescribeConfigs, (req) => this.admin.describeConfigs(req));
    this.route(Api.InitProducerId, () => this.admin.initProducerId());

    this.route(Api.JoinGroup, (req, { version, clientId, clientHost }) => this.groups.joinGroup({ ...req, clientId, clientHost }, version));
    this.route(Api.SyncGroup, (req) => this.groups.syncGroup(req));
    this.route(Api.Heartbeat, (req) => ({ errorCode: this.groups.heartbeat(req) }));
    this.route(Api.LeaveGroup, (req) => ({ errorCode: this.groups.leaveGroup(req) }));
    this.route(Api.OffsetCommit, (req) => this.groups.commitOffsets(req));
    this.route(Api.OffsetFetch, (req) => this.groups.fetchOffsets(req.groupId, req.topics));
    this.route(Api.ListGroups, () => ({ errorCode: ErrorCode.NONE, groups: this.groups.listGroups() }));
    this.route(Api.DescribeGroups, (req) => ({ groups: this.groups.describeGroups(req.groups) }));
    this.route(Api.DeleteGroups, (req) => ({ results: this.groups.deleteGroups(req.groupsNames) }));
  }
}

/** An API key or version the broker does not speak: Kafka closes the connection for these. */
export class UnsupportedRequestError extends ConnectionClosingError {}
