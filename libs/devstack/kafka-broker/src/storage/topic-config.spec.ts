import { ErrorCode, KafkaProtocolError } from '../protocol/error-codes';
import { effectiveTopicConfigs, partitionLogOptions, TOPIC_CONFIG_NAMES, validateTopicConfigs } from './topic-config';

function codeOf(fn: () => unknown): ErrorCode | null {
  try {
    fn();
    return null;
  } catch (err) {
    if (err instanceof KafkaProtocolError) return err.code;
    throw err;
  }
}

describe('topic configs', () => {
  it.each<Record<string, string>>([
    { 'retention.ms': '-1' },
    { 'retention.ms': '86400000', 'retention.bytes': '1073741824', 'segment.bytes': '1048576' },
    { 'cleanup.policy': 'compact,delete' },
    { 'compression.type': 'zstd', 'message.timestamp.type': 'LogAppendTime' },
    { 'min.insync.replicas': '2', 'max.message.bytes': '5242880', preallocate: 'TRUE' },
    { 'min.cleanable.dirty.ratio': '0.1', 'flush.ms': '9223372036854775807' },
  ])('accepts %p', (configs) => {
    expect(codeOf(() => validateTopicConfigs(configs))).toBeNull();
  });

  it.each<Record<string, string>>([
    { 'retention.msec': '1' },
    { 'retention.ms': 'soon' },
    { 'retention.ms': '-2' },
    { 'segment.bytes': '10' },
    { 'segment.bytes': '4294967296' },
    { 'flush.ms': '9223372036854775808' },
    { 'cleanup.policy': 'delete,archive' },
    { 'compression.type': 'brotli' },
    { 'message.timestamp.type': 'createtime' },
    { 'min.cleanable.dirty.ratio': '1.5' },
    { preallocate: 'yes' },
  ])('rejects %p with INVALID_CONFIG', (configs) => {
    expect(codeOf(() => validateTopicConfigs(configs))).toBe(ErrorCode.INVALID_CONFIG);
  });

  it('reports every config with its source, topic over broker over Kafka default', () => {
    const entries = effectiveTopicConfigs({ 'retention.ms': '1000' }, { 'retention.ms': '5', 'segment.bytes': '1048576' });
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect(entries.map((e) => e.name)).toEqual(TOPIC_CONFIG_NAMES);
    expect(byName.get('retention.ms')).toEqual({ name: 'retention.ms', value: '1000', source: 'topic', isDefault: false });
    expect(byName.get('segment.bytes')).toEqual({ name: 'segment.bytes', value: '1048576', source: 'broker', isDefault: true });
    expect(byName.get('cleanup.policy')).toEqual({ name: 'cleanup.policy', value: 'delete', source: 'default', isDefault: true });
    expect(byName.get('max.message.bytes')?.value).toBe('1048588');
  });

  it('turns effective configs into partition-log options', () => {
    expect(
      partitionLogOptions({ 'retention.bytes': '100', 'message.timestamp.type': 'LogAppendTime' }, { 'segment.bytes': '2048' }),
    ).toEqual({
      segmentBytes: 2048,
      segmentMs: 604800000,
      retentionBytes: 100,
      retentionMs: 604800000,
      timestampType: 'LogAppendTime',
      indexIntervalBytes: 4096,
    });
  });
});
