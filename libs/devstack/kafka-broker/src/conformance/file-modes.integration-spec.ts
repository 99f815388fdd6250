import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { entriesOpenToOthers } from '@flywheel/test-kit';
import { startTestBroker, type TestBroker } from '../testing';
import { kafkaClient } from './kafkajs-helpers';

jest.setTimeout(60_000);

describe('broker files', () => {
  let test: TestBroker | undefined;

  afterEach(async () => {
    await test?.stop();
    test = undefined;
  });

  it('keeps segments, indexes, offsets and producer ids readable by its own user alone, whatever the umask', async () => {
    const umask = process.umask(0o022);
    try {
      test = await startTestBroker({ segmentBytes: 1024 });
      const kafka = kafkaClient(test.address);
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'claims', numPartitions: 2 }] });
      // Idempotent: the broker hands out (and writes down) a producer id.
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      for (let batch = 0; batch < 5; batch++) {
        await producer.send({
          topic: 'claims',
          messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: 'x'.repeat(100) })),
        });
      }
      await producer.disconnect();
      await admin.setOffsets({ groupId: 'billing', topic: 'claims', partitions: [{ partition: 0, offset: '3' }] });
      await admin.disconnect();
      await test.broker.stop();

      const files = readdirSync(test.dataDir, { recursive: true, encoding: 'utf8' });
      // What there is to protect: several segments and their indexes, the offsets journal, the producer ids.
      expect(files.filter((f) => f.endsWith('.log')).length).toBeGreaterThan(2);
      expect(files.filter((f) => f.endsWith('.index')).length).toBeGreaterThan(1);
      expect(files).toEqual(expect.arrayContaining(['consumer-offsets.journal', 'producer-ids']));
      expect(entriesOpenToOthers(test.dataDir)).toEqual([]);
      expect(statSync(join(test.dataDir, 'topics')).mode & 0o777).toBe(0o700);
    } finally {
      process.umask(umask);
    }
  });
});
