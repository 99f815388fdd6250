import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PRIVATE_DIR_MODE } from '@flywheel/dev-server-kit';
import { ErrorCode, KafkaProtocolError } from '../protocol/error-codes';
import { fsyncDir, mkdirPrivate, TEMP_SUFFIX, writeFileAtomic } from './fs-util';
import { PartitionLog, type PartitionLogOptions } from './partition-log';
import { effectiveTopicConfigs, partitionLogOptions, type TopicConfigEntry, validateTopicConfigs } from './topic-config';

export interface TopicInfo {
  name: string;
  /** Stable for the topic's life; a topic deleted and created again gets a new one. */
  topicId: string;
  partitions: number;
  /** Configs set on the topic itself (the overrides of the defaults). */
  configs: Record<string, string>;
}

export interface TopicStoreOptions {
  /** Broker-wide defaults for topic configs, by Kafka name, e.g. `{ 'retention.ms': '-1' }`. */
  configDefaults?: Record<string, string>;
  /** Shorthands for the broker defaults of segment.bytes, retention.ms, retention.bytes and max.message.bytes. */
  segmentBytes?: number;
  retentionMs?: number;
  retentionBytes?: number;
  maxMessageBytes?: number;
  /** fsync every append and metadata change (durability against power loss, at a cost). */
  fsync?: boolean;
}

const METADATA_FILE = 'topic.json';
const DELETED_SUFFIX = '.deleted';
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** Throws INVALID_TOPIC_EXCEPTION unless `name` is a legal Kafka topic name. */
export function validateTopicName(name: string): void {
  if (!TOPIC_NAME.test(name) || name === '.' || name === '..') {
    throw new KafkaProtocolError(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      `topic name '${name}' is illegal: use 1 to 249 characters of [a-zA-Z0-9._-], not '.' or '..'`,
    );
  }
}

interface Topic {
  info: TopicInfo;
  dir: string;
  logs: PartitionLog[];
}

function copyInfo(info: TopicInfo): TopicInfo {
  return { ...info, configs: { ...info.configs } };
}

function parseMetadata(file: string): TopicInfo {
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<TopicInfo>;
  const { name, topicId, partitions, configs } = parsed;
  if (
    typeof name !== 'string' ||
    typeof topicId !== 'string' ||
    typeof partitions !== 'number' ||
    !Number.isInteger(partitions) ||
    partitions < 1 ||
    typeof configs !== 'object' ||
    configs === null
  ) {
    throw new Error(`topic metadata ${file} is malformed`);
  }
  return { name, topicId, partitions, configs };
}

/**
 * All topics of the broker under `<dataDir>/topics/<topicId>/`: a `topic.json` (written by
 * rename, so it is either whole or absent) and one folder per partition holding its log. A
 * folder id rather than the name keeps case-insensitive file systems and quick delete-then-
 * recreate cycles apart.
 */
export class TopicStore {
  private readonly topics = new Map<string, Topic>();
  private closed = false;

  private constructor(
    private readonly root: string,
    private readonly configDefaults: Readonly<Record<string, string>>,
    private readonly fsync: boolean,
  ) {}

  static open(dataDir: string, options: TopicStoreOptions = {}): TopicStore {
    const configDefaults = { ...options.configDefaults };
    const shorthands: Array<[string, number | undefined]> = [
      ['segment.bytes', options.segmentBytes],
      ['retention.ms', options.retentionMs],
      ['retention.bytes', options.retentionBytes],
      ['max.message.bytes', options.maxMessageBytes],
    ];
    for (const [name, value] of shorthands) if (value !== undefined) configDefaults[name] = String(value);
    validateTopicConfigs(configDefaults);
    const store = new TopicStore(path.join(dataDir, 'topics'), configDefaults, options.fsync ?? false);
    mkdirPrivate(store.root);
    for (const entry of fs.readdirSync(store.root, { withFileTypes: true })) {
      const dir = path.join(store.root, entry.name);
      if (!entry.isDirectory()) continue;
      const metadataFile = path.join(dir, METADATA_FILE);
      // Deletions and creations cut short by a crash: neither was ever acknowledged.
      if (entry.name.endsWith(DELETED_SUFFIX) || !fs.existsSync(metadataFile)) {
        fs.rmSync(dir, { recursive: true, force: true });
        continue;
      }
      const info = parseMetadata(metadataFile);
      if (store.topics.has(info.name))
        throw new Error(`topic ${info.name} is stored twice, in ${dir} and ${store.topics.get(info.name)?.dir}`);
      store.topics.set(info.name, { info, dir, logs: store.openPartitions(info, dir) });
    }
    return store;
  }

  private logOptions(info: TopicInfo): PartitionLogOptions {
    return { ...partitionLogOptions(info.configs, this.configDefaults), fsync: this.fsync };
  }

  private openPartitions(info: TopicInfo, dir: string): PartitionLog[] {
    for (const name of fs.readdirSync(dir)) {
      // Partitions of an addPartitions that never committed its metadata.
      if ((/^\d+$/.test(name) && Number(name) >= info.partitions) || name.endsWith(TEMP_SUFFIX)) {
        fs.rmSync(path.join(dir, name), { recursive: true, force: true });
      }
    }
    const options = this.logOptions(info);
    return Array.from({ length: info.partitions }, (_, p) => PartitionLog.open(path.join(dir, String(p)), options));
  }

  list(): TopicInfo[] {
    return [...this.topics.values()].map((t) => copyInfo(t.info)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get(name: string): TopicInfo | undefined {
    const topic = this.topics.get(name);
    return topic && copyInfo(topic.info);
  }

  /** The checks of `create` without creating anything (CreateTopics with validateOnly). */
  validate(name: string, partitions: number, configs: Record<string, string> = {}): void {
    validateTopicName(name);
    if (this.topics.has(name)) throw new KafkaProtocolError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic ${name} already exists`);
    // Kafka refuses names that differ only by '.' versus '_': they share metric names.
    const collisionKey = name.replace(/\./g, '_');
    for (const existing of this.topics.keys()) {
      if (existing.replace(/\./g, '_') === collisionKey) {
        throw new KafkaProtocolError(ErrorCode.INVALID_TOPIC_EXCEPTION, `topic ${name} collides with existing topic ${existing}`);
      }
    }
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new KafkaProtocolError(ErrorCode.INVALID_PARTITIONS, `number of partitions must be at least 1, got ${partitions}`);
    }
    validateTopicConfigs(configs);
  }

  create(name: string, partitions: number, configs: Record<string, string> = {}): TopicInfo {
    this.assertOpen();
    this.validate(name, partitions, configs);
    const info: TopicInfo = { name, topicId: randomUUID(), partitions, configs: { ...configs } };
    const dir = path.join(this.root, info.topicId);
    fs.mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
    const logs: PartitionLog[] = [];
    try {
      const options = this.logOptions(info);
      for (let p = 0; p < partitions; p++) logs.push(PartitionLog.open(path.join(dir, String(p)), options));
      // The metadata file is the commit point: without it, the next open discards the folder.
      this.writeMetadata(dir, info);
      if (this.fsync) fsyncDir(this.root);
    } catch (err) {
      for (const log of logs) log.close();
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    this.topics.set(name, { info, dir, logs });
    return copyInfo(info);
  }

  delete(name: string): void {
    this.assertOpen();
    const topic = this.require(name);
    for (const log of topic.logs) log.close();
    // The rename is the commit point; removing the files may then take its time or be cut short.
    const doomed = topic.dir + DELETED_SUFFIX;
    fs.renameSync(topic.dir, doomed);
    if (this.fsync) fsyncDir(this.root);
    this.topics.delete(name);
    fs.rmSync(doomed, { recursive: true, force: true });
  }

  addPartitions(name: string, newTotal: number): TopicInfo {
    this.assertOpen();
    const topic = this.require(name);
    const current = topic.info.partitions;
    if (!Number.isInteger(newTotal) || newTotal <= current) {
      throw new KafkaProtocolError(
        ErrorCode.INVALID_PARTITIONS,
        `topic ${name} has ${current} partitions; the new total ${newTotal} must be larger`,
      );
    }
    const options = this.logOptions(topic.info);
    const added: PartitionLog[] = [];
    try {
      for (let p = current; p < newTotal; p++) added.push(PartitionLog.open(path.join(topic.dir, String(p)), options));
      this.writeMetadata(topic.dir, { ...topic.info, partitions: newTotal });
    } catch (err) {
      for (const log of added) log.delete();
      throw err;
    }
    topic.info.partitions = newTotal;
    topic.logs.push(...added);
    return copyInfo(topic.info);
  }

  partition(name: string, index: number): PartitionLog | undefined {
    return this.topics.get(name)?.logs[index];
  }

  /** Every topic config with its effective value, in name order. */
  describeConfigs(name: string): TopicConfigEntry[] {
    return effectiveTopicConfigs(this.require(name).info.configs, this.configDefaults);
  }

  /** Applies retention to every partition; returns the number of segments deleted. */
  applyRetention(now: number): number {
    this.assertOpen();
    let deleted = 0;
    for (const topic of this.topics.values()) {
      for (const log of topic.logs) deleted += log.applyRetention(now);
    }
    return deleted;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const topic of this.topics.values()) {
      for (const log of topic.logs) log.close();
    }
  }

  private require(name: string): Topic {
    const topic = this.topics.get(name);
    if (!topic) throw new KafkaProtocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${name} does not exist`);
    return topic;
  }

  private writeMetadata(dir: string, info: TopicInfo): void {
    writeFileAtomic(path.join(dir, METADATA_FILE), JSON.stringify(info, null, 2) + '\n', this.fsync);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('topic store is closed');
  }
}
