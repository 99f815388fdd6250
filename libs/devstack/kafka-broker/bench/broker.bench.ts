// Produce and consume throughput of the embedded broker through kafkajs, printed next to a
// loopback TCP echo baseline measured in the same run: the echo is what the machine's
// loopback and Node's sockets give at best, so the ratio says what the broker costs on top.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { formatNumber, freePort, median, repeat, table } from '@flywheel/test-kit';
import { spawnBrokerProcess, temporaryDataDir } from '../src/testing';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
const VALUE_BYTES = Number(process.env.BENCH_VALUE_BYTES ?? 100);
const BATCH = 1000;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const ECHO_SERVER = `
const net = require('node:net');
const server = net.createServer((s) => s.pipe(s));
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function startEcho(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', ECHO_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
  return { child, port };
}

/** Sends `bytes` in request-sized chunks and waits for all of them to come back. */
function echoRun(port: number, bytes: number, chunkBytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunk = Buffer.alloc(chunkBytes, 1);
    let received = 0;
    const start = process.hrtime.bigint();
    socket.on('data', (d) => {
      received += d.length;
      if (received >= bytes) {
        socket.destroy();
        resolve(Number(process.hrtime.bigint() - start) / 1e9);
      }
    });
    socket.on('error', reject);
    socket.on('connect', () => {
      let sent = 0;
      const pump = () => {
        while (sent < bytes) {
          sent += chunk.length;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
  });
}

async function main(): Promise<void> {
  const payloadBytes = MESSAGES * VALUE_BYTES;
  const dataDir = temporaryDataDir('flywheel-bench-');
  const broker = await spawnBrokerProcess(await freePort(), dataDir);
  const echo = await startEcho();
  const kafka = new Kafka({ clientId: 'bench', brokers: [broker.address], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  await admin.connect();
  await producer.connect();
  const value = Buffer.alloc(VALUE_BYTES, 120);
  const topics: string[] = [];

  try {
    // At least 50 MB, so that the baseline is not a measure of connection set-up.
    const echoBytes = Math.max(payloadBytes, 50e6);
    process.stderr.write(`echo baseline: ${formatNumber(echoBytes / 1e6, 1)} MB in ${BATCH * VALUE_BYTES}-byte writes\n`);
    const echoSeconds = await repeat(RUNS, () => echoRun(echo.port, echoBytes, BATCH * VALUE_BYTES));

    process.stderr.write(`produce: ${formatNumber(MESSAGES)} messages of ${VALUE_BYTES} bytes, ${BATCH} per send, acks=all\n`);
    const produceSeconds = await repeat(RUNS, async (run) => {
      const topic = `bench-${run < 0 ? `warm${-run}` : run}`;
      topics.push(topic);
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      const messages = Array.from({ length: BATCH }, (_, i) => ({ key: String(i), value }));
      const start = process.hrtime.bigint();
      for (let sent = 0; sent < MESSAGES; sent += BATCH) await producer.send({ topic, acks: -1, messages });
      return Number(process.hrtime.bigint() - start) / 1e9;
    });

    process.stderr.write(`consume: the same messages from the beginning, one consumer, eachBatch\n`);
    const consumeSeconds = await repeat(RUNS, async (run) => {
      const topic = topics[Math.max(0, run + 1)];
      const consumer = kafka.consumer({ groupId: `bench-group-${run}-${Date.now()}`, maxBytes: 10 << 20 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      let count = 0;
      let start = 0n;
      const done = new Promise<number>((resolve) => {
        void consumer.run({
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch }) => {
            if (start === 0n) start = process.hrtime.bigint();
            count += batch.messages.length;
            if (count >= MESSAGES) resolve(Number(process.hrtime.bigint() - start) / 1e9);
          },
        });
      });
      const seconds = await done;
      await consumer.disconnect();
      return seconds;
    });

    const rate = (seconds: number[]) => {
      const s = median(seconds);
      return { msgs: MESSAGES / s, mb: payloadBytes / 1e6 / s };
    };
    const e = { mb: echoBytes / 1e6 / median(echoSeconds) };
    const p = rate(produceSeconds);
    const c = rate(consumeSeconds);
    process.stdout.write(
      `\n${table(
        ['scenario (median of ' + RUNS + ')', 'messages/s', 'MB/s', 'vs echo'],
        [
          ['loopback TCP echo (baseline)', '-', formatNumber(e.mb, 1), '1.00'],
          ['kafkajs produce, acks=all', formatNumber(p.msgs), formatNumber(p.mb, 1), formatNumber(p.mb / e.mb, 2)],
          ['kafkajs consume, eachBatch', formatNumber(c.msgs), formatNumber(c.mb, 1), formatNumber(c.mb / e.mb, 2)],
        ],
      )}\n`,
    );
  } finally {
    await producer.disconnect();
    await admin.disconnect();
    echo.child.kill();
    broker.child.kill('SIGTERM');
    await broker.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
