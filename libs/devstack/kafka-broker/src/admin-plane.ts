import { type BrokerConfig } from './broker-config';
import { type ProducerIdAllocator } from './producer-id-allocator';
import { ErrorCode, KafkaProtocolError } from './protocol/error-codes';
import {
  ConfigResourceType,
  ConfigSource,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
  type DescribedConfig,
  type InitProducerIdResponse,
  type MetadataBroker,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataTopic,
} from './protocol/messages';
import { type OffsetStore, type TopicStore } from './storage';

/** Runs `action`, turning a KafkaProtocolError into its code and message. */
function attempt(action: () => void): { errorCode: number; errorMessage: string | null } {
  try {
    action();
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  } catch (error) {
    if (error instanceof KafkaProtocolError) return { errorCode: error.code, errorMessage: error.message };
    throw error;
  }
}

/** Metadata, topic administration, configs and producer ids: everything but records and groups. */
export class AdminPlane {
  constructor(
    private readonly config: BrokerConfig,
    private readonly topics: TopicStore,
    private readonly offsets: OffsetStore,
    private readonly producerIds: ProducerIdAllocator,
  ) {}

  /** `mayCreate`: whether the caller may have a missing topic auto-created (Create on cluster or topic). */
  metadata(req: MetadataRequest, self: MetadataBroker, mayCreate: (topic: string) => boolean = () => true): MetadataResponse {
    const names = req.topics ?? this.topics.list().map((t) => t.name);
    const topics = names.map((name): MetadataTopic => {
      let topic = this.topics.get(name);
      if (!topic && req.topics !== null && req.allowAutoTopicCreation && this.config.autoCreateTopics) {
        if (!mayCreate(name)) return { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name, partitions: [] };
        // Created before answering, so clients never loop on LEADER_NOT_AVAILABLE.
        const created = attempt(() => this.topics.create(name, this.config.defaultPartitions, {}));
        if (created.errorCode !== ErrorCode.NONE) return { errorCode: created.errorCode, name, partitions: [] };
        this.config.logger.info('topic auto-created', { topic: name, partitions: this.config.defaultPartitions });
        topic = this.topics.get(name);
      }
      if (!topic) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, partitions: [] };
      const partitions = Array.from({ length: topic.partitions }, (_, partitionIndex) => ({
        errorCode: ErrorCode.NONE,
        partitionIndex,
        leaderId: self.nodeId,
        replicaNodes: [self.nodeId],
        isrNodes: [self.nodeId],
      }));
      return { errorCode: ErrorCode.NONE, name, partitions };
    });
    return { brokers: [self], clusterId: this.config.clusterId, controllerId: self.nodeId, topics };
  }

  createTopics(req: CreateTopicsRequest): CreateTopicsResponse {
    return {
      topics: req.topics.map((t) => {
        const result = attempt(() => {
          if (t.replicationFactor !== -1 && t.replicationFactor !== 1) {
            throw new KafkaProtocolError(
              ErrorCode.INVALID_REPLICATION_FACTOR,
              `Replication factor: ${t.replicationFactor} larger than available brokers: 1.`,
            );
          }
          const partitions = t.numPartitions === -1 ? t.assignments.length || this.config.defaultPartitions : t.numPartitions;
          const configs: Record<string, string> = {};
          for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value;
          if (req.validateOnly) this.topics.validate(t.name, partitions, configs);
          else this.topics.create(t.name, partitions, configs);
        });
        if (result.errorCode === ErrorCode.NONE && !req.validateOnly) {
          this.config.logger.info('topic created', { topic: t.name });
        }
        return { name: t.name, ...result };
      }),
    };
  }

  deleteTopics(req: { topicNames: string[] }) {
    return {
      responses: req.topicNames.map((name) => {
        const { errorCode } = attempt(() => {
          if (!this.topics.get(name)) throw new KafkaProtocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic ${name}`);
          this.topics.delete(name);
          this.offsets.deleteTopic(name);
        });
        if (errorCode === ErrorCode.NONE) this.config.logger.info('topic deleted', { topic: name });
        return { name, errorCode };
      }),
    };
  }

  createPartitions(req: CreatePartitionsRequest): CreatePartitionsResponse {
    return {
      results: req.topics.map((t) => {
        const result = attempt(() => {
          const topic = this.topics.get(t.name);
          if (!topic) throw new KafkaProtocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic ${t.name}`);
          if (t.count <= topic.partitions) {
            throw new KafkaProtocolError(
              ErrorCode.INVALID_PARTITIONS,
              `Topic currently has ${topic.partitions} partitions, which is higher than the requested ${t.count}.`,
            );
          }
          if (!req.validateOnly) this.topics.addPartitions(t.name, t.count);
        });
        return { name: t.name, ...result };
      }),
    };
  }

  describeConfigs(req: DescribeConfigsRequest): DescribeConfigsResponse {
    return {
      results: req.resources.map((resource) => {
        const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
        let configs: DescribedConfig[];
        if (resource.resourceType === ConfigResourceType.Topic) {
          const described = this.topics.get(resource.resourceName) && this.topics.describeConfigs(resource.resourceName);
          if (!described) {
            return {
              ...base,
              errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              errorMessage: `no topic ${resource.resourceName}`,
              configs: [],
            };
          }
          configs = described.map((c) => ({
            name: c.name,
            value: c.value,
            readOnly: false,
            source: c.isDefault ? ConfigSource.Default : ConfigSource.DynamicTopic,
            isSensitive: false,
          }));
        } else if (resource.resourceType === ConfigResourceType.Broker) {
          configs = this.brokerConfigs();
        } else {
          return {
            ...base,
            errorCode: ErrorCode.INVALID_REQUEST,
            errorMessage: `resource type ${resource.resourceType} has no configs here`,
            configs: [],
          };
        }
        const keys = resource.configurationKeys;
        return {
          ...base,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          configs: keys === null || keys.length === 0 ? configs : configs.filter((c) => keys.includes(c.name)),
        };
      }),
    };
  }

  private brokerConfigs(): DescribedConfig[] {
    const c = this.config;
    const entries: Array<[string, string]> = [
      ['broker.id', String(c.nodeId)],
      ['auto.create.topics.enable', String(c.autoCreateTopics)],
      ['num.partitions', String(c.defaultPartitions)],
      ['message.max.bytes', String(c.messageMaxBytes)],
      ['socket.request.max.bytes', String(c.maxRequestBytes)],
      ['group.initial.rebalance.delay.ms', String(c.initialRebalanceDelayMs)],
      ['log.segment.bytes', String(c.segmentBytes)],
      ['log.retention.ms', String(c.retentionMs)],
      ['log.retention.bytes', String(c.retentionBytes)],
      ['log.dirs', c.dataDir],
    ];
    return entries.map(([name, value]) => ({ name, value, readOnly: true, source: ConfigSource.StaticBroker, isSensitive: false }));
  }

  initProducerId(): InitProducerIdResponse {
    return { errorCode: ErrorCode.NONE, producerId: this.producerIds.allocate(), producerEpoch: 0 };
  }
}
