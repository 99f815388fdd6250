import { ErrorCode, KafkaProtocolError } from '../protocol/error-codes';
import { type PartitionLogOptions, type TimestampType } from './partition-log';

type ConfigType = 'int' | 'long' | 'double' | 'boolean' | 'string' | 'list';

interface ConfigDefinition {
  type: ConfigType;
  /** Kafka's own default, as DescribeConfigs reports it. */
  defaultValue: string;
  min?: number;
  max?: number;
  /** For strings and lists: the accepted values. */
  allowed?: readonly string[];
}

const LONG_MAX = '9223372036854775807';

/**
 * Every topic-level config of Apache Kafka 3.8, so that clients can set and describe any of
 * them. Only the ones `partitionLogOptions` reads change behaviour here; the rest are kept and
 * reported (there is no compaction, replication or tiered storage in a single-node dev broker).
 */
const DEFINITIONS: Readonly<Record<string, ConfigDefinition>> = {
  'cleanup.policy': { type: 'list', defaultValue: 'delete', allowed: ['compact', 'delete'] },
  'compression.gzip.level': { type: 'int', defaultValue: '-1', min: -1, max: 9 },
  'compression.lz4.level': { type: 'int', defaultValue: '9', min: 1, max: 17 },
  'compression.type': {
    type: 'string',
    defaultValue: 'producer',
    allowed: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'],
  },
  'compression.zstd.level': { type: 'int', defaultValue: '3', min: -131072, max: 22 },
  'delete.retention.ms': { type: 'long', defaultValue: '86400000', min: 0 },
  'file.delete.delay.ms': { type: 'long', defaultValue: '60000', min: 0 },
  'flush.messages': { type: 'long', defaultValue: LONG_MAX, min: 1 },
  'flush.ms': { type: 'long', defaultValue: LONG_MAX, min: 0 },
  'follower.replication.throttled.replicas': { type: 'list', defaultValue: '' },
  'index.interval.bytes': { type: 'int', defaultValue: '4096', min: 0 },
  'leader.replication.throttled.replicas': { type: 'list', defaultValue: '' },
  'local.retention.bytes': { type: 'long', defaultValue: '-2', min: -2 },
  'local.retention.ms': { type: 'long', defaultValue: '-2', min: -2 },
  'max.compaction.lag.ms': { type: 'long', defaultValue: LONG_MAX, min: 1 },
  'max.message.bytes': { type: 'int', defaultValue: '1048588', min: 0 },
  'message.downconversion.enable': { type: 'boolean', defaultValue: 'true' },
  'message.format.version': { type: 'string', defaultValue: '3.0-IV1' },
  'message.timestamp.after.max.ms': { type: 'long', defaultValue: LONG_MAX, min: 0 },
  'message.timestamp.before.max.ms': { type: 'long', defaultValue: LONG_MAX, min: 0 },
  'message.timestamp.difference.max.ms': { type: 'long', defaultValue: LONG_MAX, min: 0 },
  'message.timestamp.type': { type: 'string', defaultValue: 'CreateTime', allowed: ['CreateTime', 'LogAppendTime'] },
  'min.cleanable.dirty.ratio': { type: 'double', defaultValue: '0.5', min: 0, max: 1 },
  'min.compaction.lag.ms': { type: 'long', defaultValue: '0', min: 0 },
  'min.insync.replicas': { type: 'int', defaultValue: '1', min: 1 },
  preallocate: { type: 'boolean', defaultValue: 'false' },
  'remote.storage.enable': { type: 'boolean', defaultValue: 'false' },
  'retention.bytes': { type: 'long', defaultValue: '-1' },
  'retention.ms': { type: 'long', defaultValue: '604800000', min: -1 },
  'segment.bytes': { type: 'int', defaultValue: '1073741824', min: 14 },
  'segment.index.bytes': { type: 'int', defaultValue: '10485760', min: 4 },
  'segment.jitter.ms': { type: 'long', defaultValue: '0', min: 0 },
  'segment.ms': { type: 'long', defaultValue: '604800000', min: 1 },
  'unclean.leader.election.enable': { type: 'boolean', defaultValue: 'false' },
};

export const TOPIC_CONFIG_NAMES: readonly string[] = Object.keys(DEFINITIONS).sort();

function invalid(name: string, value: string, why: string): KafkaProtocolError {
  return new KafkaProtocolError(ErrorCode.INVALID_CONFIG, `invalid value '${value}' for config ${name}: ${why}`);
}

function checkRange(name: string, value: string, n: number | bigint, def: ConfigDefinition): void {
  if (def.min !== undefined && n < def.min) throw invalid(name, value, `must be at least ${def.min}`);
  if (def.max !== undefined && n > def.max) throw invalid(name, value, `must be at most ${def.max}`);
}

function validateValue(name: string, value: string, def: ConfigDefinition): void {
  switch (def.type) {
    case 'int':
    case 'long': {
      if (!/^-?\d+$/.test(value.trim())) throw invalid(name, value, `not an ${def.type}`);
      const n = BigInt(value.trim());
      const bits = def.type === 'int' ? 32 : 64;
      if (n < -(2n ** BigInt(bits - 1)) || n >= 2n ** BigInt(bits - 1)) throw invalid(name, value, `out of ${def.type} range`);
      checkRange(name, value, n, def);
      return;
    }
    case 'double': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw invalid(name, value, 'not a number');
      checkRange(name, value, n, def);
      return;
    }
    case 'boolean':
      if (!/^(true|false)$/i.test(value.trim())) throw invalid(name, value, 'not a boolean');
      return;
    case 'string':
      if (def.allowed && !def.allowed.includes(value)) throw invalid(name, value, `expected one of ${def.allowed.join(', ')}`);
      return;
    case 'list':
      if (def.allowed) {
        const items = value.split(',').map((item) => item.trim());
        if (items.some((item) => !def.allowed?.includes(item))) {
          throw invalid(name, value, `expected a list of ${def.allowed.join(', ')}`);
        }
      }
      return;
  }
}

/** Throws INVALID_CONFIG for an unknown name or a value Kafka would refuse. */
export function validateTopicConfigs(configs: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(configs)) {
    const def = DEFINITIONS[name];
    if (!def) throw new KafkaProtocolError(ErrorCode.INVALID_CONFIG, `unknown topic config ${name}`);
    if (typeof value !== 'string') throw invalid(name, String(value), 'not a string');
    validateValue(name, value, def);
  }
}

/** Where an effective value comes from; the wire codes of DescribeConfigs v1 are noted. */
export type ConfigSource =
  /** DYNAMIC_TOPIC_CONFIG (1) */
  | 'topic'
  /** STATIC_BROKER_CONFIG (4): a broker-wide default given to the store */
  | 'broker'
  /** DEFAULT_CONFIG (5) */
  | 'default';

export interface TopicConfigEntry {
  name: string;
  value: string;
  source: ConfigSource;
  isDefault: boolean;
}

export function effectiveTopicConfigs(
  topicConfigs: Readonly<Record<string, string>>,
  brokerDefaults: Readonly<Record<string, string>>,
): TopicConfigEntry[] {
  return TOPIC_CONFIG_NAMES.map((name) => {
    if (name in topicConfigs) return { name, value: topicConfigs[name], source: 'topic', isDefault: false };
    if (name in brokerDefaults) return { name, value: brokerDefaults[name], source: 'broker', isDefault: true };
    return { name, value: DEFINITIONS[name].defaultValue, source: 'default', isDefault: true };
  });
}

/** The partition-log settings a topic's effective configs call for. */
export function partitionLogOptions(
  topicConfigs: Readonly<Record<string, string>>,
  brokerDefaults: Readonly<Record<string, string>>,
): PartitionLogOptions {
  const value = (name: string): string => topicConfigs[name] ?? brokerDefaults[name] ?? DEFINITIONS[name].defaultValue;
  return {
    segmentBytes: Number(value('segment.bytes')),
    segmentMs: Number(value('segment.ms')),
    retentionBytes: Number(value('retention.bytes')),
    retentionMs: Number(value('retention.ms')),
    timestampType: value('message.timestamp.type') as TimestampType,
    indexIntervalBytes: Number(value('index.interval.bytes')),
  };
}
