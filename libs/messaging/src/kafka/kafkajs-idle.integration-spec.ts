import { createHook } from 'node:async_hooks';
import { startTestBroker, type TestBroker } from '@flywheel/kafka-broker';
import { Kafka, logLevel } from 'kafkajs';

/**
 * kafkajs 2.2.4's request queue re-armed a 1 ms timer whenever nothing was pending, so every idle
 * connection woke its process ~1000 times a second (upstream issues #1556/#1704, fixed by the
 * unreleased PR #1667). `patches/kafkajs+2.2.4.patch` carries the fix, applied by `npm ci`.
 */
describe('an idle kafkajs client', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('arms no timers while it has no requests to send', async () => {
    const kafka = new Kafka({ clientId: 'idle-check', brokers: [broker.address], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    const admin = kafka.admin();
    await producer.connect();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'idle-check', numPartitions: 1 }] });
    await producer.send({ topic: 'idle-check', messages: [{ value: 'one' }] });

    let timers = 0;
    const hook = createHook({
      init(_id, type) {
        if (type === 'Timeout') timers += 1;
      },
    });
    hook.enable();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    hook.disable();

    await producer.disconnect();
    await admin.disconnect();
    // The wait itself arms one; an unpatched client arms about a thousand per connection here.
    expect(timers).toBeLessThan(20);
  });
});
