export { crc32c } from './crc32c';
export {
  Attribute,
  BATCH_HEADER_SIZE,
  type BatchHeader,
  type BuildBatchOptions,
  buildRecordBatch,
  type DecodedRecord,
  parseBatchHeader,
  readRecords,
  type RecordHeader,
  type RecordInput,
  splitRecordBatches,
} from './record-batch';
export { type AppendResult, PARTITION_LOG_DEFAULTS, PartitionLog, type PartitionLogOptions, type TimestampType } from './partition-log';
export { type ConfigSource, TOPIC_CONFIG_NAMES, type TopicConfigEntry, validateTopicConfigs } from './topic-config';
export { type TopicInfo, TopicStore, type TopicStoreOptions, validateTopicName } from './topic-store';
export {
  type CommittedOffset,
  FileOffsetStore,
  type FileOffsetStoreOptions,
  type OffsetCommitEntry,
  type OffsetStore,
} from './offset-store';
