import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as contracts from '@flywheel/contracts';
import { KAFKA_SERVICES, type KafkaService, SERVICE_KAFKA_ACCESS, type ServiceKafkaAccess, Topics, topicFor } from '@flywheel/contracts';

// The access table of libs/contracts/src/kafka-access.ts is what the brokers enforce; a service
// that publishes or consumes something the table does not grant fails in production only. So
// the table is checked here against what the services' sources really do.

const SERVICES_DIR = resolve(__dirname, '../../../services');

/** A service's production sources (no tests, fixtures or benchmarks), joined. */
function sourcesOf(service: string): string {
  const texts: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!['testing', 'e2e', 'migrations'].includes(entry.name)) walk(path);
      } else if (entry.name.endsWith('.ts') && !/\.(integration-)?spec\.ts$/.test(entry.name)) {
        texts.push(readFileSync(path, 'utf8'));
      }
    }
  };
  walk(join(SERVICES_DIR, service, 'src'));
  return texts.join('\n');
}

const topicOfKey = (key: string): string => {
  const topic = (Topics as Record<string, unknown>)[key];
  if (typeof topic !== 'string') throw new Error(`Topics.${key} is not a fixed topic`);
  return topic;
};

/**
 * `@ConsumeEvent({ topic: Topics.x, …, group: G })` (or ConsumeEventBatch, ConsumeRaw), G a literal
 * or a constant of the sources; with `replicas: 'each'`, the groups `G.<instance>`, as `G.*`.
 */
function consumedIn(source: string): Array<{ topic: string; group: string }> {
  const found: Array<{ topic: string; group: string }> = [];
  for (const [options, key, group] of source.matchAll(
    /@Consume(?:EventBatch|Event|Raw)\(\{\s*topic:\s*Topics\.(\w+),[^)]*?group:\s*('[^']+'|\w+)[^)]*\)/g,
  )) {
    const constant = new RegExp(`const ${group} = '([^']+)'`).exec(source)?.[1];
    const name = group.startsWith("'") ? group.slice(1, -1) : constant!;
    found.push({ topic: topicOfKey(key), group: /replicas:\s*'each'/.test(options) ? `${name}.*` : name });
  }
  return found;
}

/** The topics of the event types the sources publish (`….publish(manager, XEvent, …)`), and those sent to directly. */
function publishedIn(source: string): string[] {
  const types = contracts as unknown as Record<string, contracts.EventType<unknown>>;
  const published = [...source.matchAll(/\.publish\(\s*[\w.]+,\s*(\w+(?:Event|Command))\b/g)].map(([, name]) => topicFor(types[name]));
  const sentDirectly = [...source.matchAll(/producer\.send\(\{\s*topic:\s*Topics\.(\w+)/g)].map(([, key]) => topicOfKey(key));
  return [...published, ...sentDirectly];
}

/** `MessagingModule.forService({ …, topics: [Topics.a, Topics.b] })`: the topics created at boot to publish to. */
function bootTopicsIn(source: string): string[] {
  const list = /MessagingModule\.forService\(\{[^}]*topics:\s*\[([^\]]*)\]/.exec(source)?.[1] ?? '';
  return [...list.matchAll(/Topics\.(\w+)/g)].map(([, key]) => topicOfKey(key));
}

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();
const access = (service: KafkaService): ServiceKafkaAccess => SERVICE_KAFKA_ACCESS[service];

describe.each(KAFKA_SERVICES)('the Kafka access of %s', (service) => {
  const source = sourcesOf(service);

  it('grants exactly the topics and groups its @ConsumeEvent handlers read', () => {
    const table = access(service).consumes.filter((c) => c.topic.pattern === 'literal');
    const pairs = table.flatMap((c) => c.groups.map((g) => `${c.topic.name} ${g.pattern === 'prefixed' ? `${g.name}*` : g.name}`));
    expect(sorted(pairs)).toEqual(sorted(consumedIn(source).map((c) => `${c.topic} ${c.group}`)));
  });

  it('grants exactly the topics it publishes events to and creates at boot', () => {
    const produces = access(service).produces.map((t) => t.name);
    expect(sorted(produces)).toEqual(sorted(publishedIn(source)));
    expect(produces).toEqual(expect.arrayContaining(bootTopicsIn(source)));
  });
});

describe('the Kafka access of ingestion', () => {
  it('reads every raw-records topic in the per-dataset groups its consumers join', () => {
    const source = sourcesOf('ingestion');
    const groupPrefix = /function rawGroupOf\(dataset: string\): string \{\s*return `([^`$]+)\$\{dataset\}`/.exec(source)?.[1];
    expect(source).toMatch(/topics: \[Topics\.ingestTopic\(dataset\)\]/);
    expect(access('ingestion').consumes).toEqual([
      {
        topic: { name: contracts.INGEST_TOPIC_PREFIX, pattern: 'prefixed' },
        groups: [{ name: groupPrefix, pattern: 'prefixed' }],
      },
    ]);
  });
});
