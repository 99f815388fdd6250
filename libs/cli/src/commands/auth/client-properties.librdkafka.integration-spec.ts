import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertConfluentKafkaPython, assertKcat, DEBIAN_PYTHON } from '@flywheel/test-kit';
import { clientProperties } from './kafka.command';

// The file `flywheel auth kafka --out` writes is for librdkafka's clients as it is: kcat reads
// it with -F, confluent-kafka takes its lines as its configuration.

let dir: string;
let file: string;
const password = 'pA55_w0rd-of-base64url';

beforeAll(() => {
  assertKcat();
  assertConfluentKafkaPython();
  dir = mkdtempSync(join(tmpdir(), 'client-properties-'));
  file = join(dir, 'client.properties');
  writeFileSync(file, clientProperties('fraud', ['127.0.0.1:9092', 'kafka-2:9093'], 'fraud-producer', password), { mode: 0o600 });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the client properties of flywheel auth kafka', () => {
  it('configure kcat -F for SCRAM-SHA-512 over SASL_PLAINTEXT', () => {
    const run = spawnSync('kcat', ['-F', file, '-X', 'dump'], { encoding: 'utf8', timeout: 10_000 });
    expect(run.status).toBe(0);
    const settings = Object.fromEntries(
      run.stdout
        .split('\n')
        .filter((line) => line.includes(' = '))
        .map((line) => line.split(' = ', 2)),
    );
    expect(settings).toMatchObject({
      'metadata.broker.list': '127.0.0.1:9092,kafka-2:9093',
      'security.protocol': 'sasl_plaintext',
      'sasl.mechanisms': 'SCRAM-SHA-512',
      'sasl.username': 'fraud-producer',
      'sasl.password': password,
    });
  });

  it('configure a confluent-kafka Producer, read line by line', () => {
    const script = [
      'import sys, confluent_kafka',
      'conf = dict(l.strip().split("=", 1) for l in open(sys.argv[1]) if l.strip() and not l.startswith("#"))',
      'confluent_kafka.Producer(conf)',
      'print(conf["sasl.username"], conf["security.protocol"], conf["sasl.mechanisms"])',
    ].join('\n');
    const run = spawnSync(DEBIAN_PYTHON, ['-c', script, file], { encoding: 'utf8', timeout: 30_000 });
    // It connects in the background (and logs that kafka-2 does not resolve); a bad key would throw.
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe('fraud-producer SASL_PLAINTEXT SCRAM-SHA-512');
  });
});
