import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signV4 } from 'minio/dist/main/signing.js';
import { freePort } from '@flywheel/test-kit';
import { minioClient } from '../testing';

jest.setTimeout(120_000);

const MAIN = join(__dirname, '..', 'main.ts');
const accessKey = 'crash-test';
const secretKey = randomBytes(24).toString('base64url');
let dataDir: string;
let port: number;
let child: ChildProcess | undefined;

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'flywheel-s3-crash-'));
  port = await freePort();
});

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await new Promise((resolve) => child!.once('exit', resolve));
  }
  child = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

function startProcess(env: Record<string, string | undefined>): {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<number | null>;
  output: () => string;
} {
  const proc = spawn(
    process.execPath,
    ['-r', '@swc-node/register', MAIN, '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn'],
    {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('S3 server ready')) resolve();
    });
    proc.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.once('exit', () => reject(new Error(`server exited: ${output}`)));
  });
  ready.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { child: proc, ready, exited, output: () => output };
}

function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

describe('the s3 server process', () => {
  it('refuses to start without keys in the environment', async () => {
    const started = startProcess({});
    expect(await started.exited).toBe(2);
    expect(started.output()).toContain('S3_ACCESS_KEY must be set');
  });

  it('keeps the previous object, and no partial data, when killed mid-upload', async () => {
    const first = startProcess({ S3_ACCESS_KEY: accessKey, S3_SECRET_KEY: secretKey });
    child = first.child;
    await first.ready;
    const client = minioClient(`http://127.0.0.1:${port}`, accessKey, secretKey);
    await client.makeBucket('durable');
    await client.putObject('durable', 'model.json', Buffer.from('{"version":1}'));

    // A new version whose body is only half sent when the process dies.
    const date = new Date();
    const path = '/durable/model.json';
    const headers: Record<string, string> = {
      host: `127.0.0.1:${port}`,
      'x-amz-date': amzDate(date),
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    };
    headers.authorization = signV4(
      { method: 'PUT', path, headers } as Parameters<typeof signV4>[0],
      accessKey,
      secretKey,
      'us-east-1',
      date,
      'UNSIGNED-PAYLOAD',
    );
    const upload = request({
      host: '127.0.0.1',
      port,
      method: 'PUT',
      path,
      headers: { ...headers, 'content-length': String(8 * 1024 * 1024) },
    });
    upload.on('error', () => undefined);
    upload.write(Buffer.alloc(4 * 1024 * 1024, 1));
    for (let i = 0; i < 100 && readdirSync(join(dataDir, 'tmp')).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(readdirSync(join(dataDir, 'tmp')).length).toBe(1);
    child.kill('SIGKILL');
    await first.exited;
    upload.destroy();

    const second = startProcess({ S3_ACCESS_KEY: accessKey, S3_SECRET_KEY: secretKey });
    child = second.child;
    await second.ready;
    const chunks: Buffer[] = [];
    for await (const chunk of await client.getObject('durable', 'model.json')) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('{"version":1}');
    expect(readdirSync(join(dataDir, 'tmp'))).toEqual([]);

    child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
