// `npm run bench -- grpc-transport`: large unary messages through grpc-js with HTTP/2's default
// flow-control windows (64 KiB: the baseline, what a grpc-js server has without the patch in
// patches/) and with the window Flywheel's servers and clients open (GRPC_FLOW_CONTROL_WINDOW_BYTES),
// in the same run. A server per window runs in its own process and answers each message with 16
// bytes; each measurement is a client process of its own (a client that has sent gigabytes
// slows down, and whichever window went second would pay for it), which sends BENCH_IN_FLIGHT
// (default 4) calls at a time for BENCH_SECONDS (default 3) after 1.5 s of the same as warm-up. The sizes: an
// Ingest of 1,000 rows of a 20-column contract (about 350 KB) and a 3 MB message. Medians of
// BENCH_RUNS (default 3) runs, the windows taking turns; CPU per call of the client and server.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Client, credentials } from '@grpc/grpc-js';
import { formatNumber, median, table } from '@flywheel/test-kit';
import { GRPC_FLOW_CONTROL_WINDOW_BYTES } from '../src/grpc/flow-control';
import { RAW_BYTES_SERVICE } from './raw-bytes-server';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 4);
const WARMUP_MS = 1_500;
const SIZES = [
  { name: 'Ingest of 1,000 rows', bytes: 346_787 },
  { name: '3 MB', bytes: 3_000_000 },
];
const WINDOWS = [
  { name: "HTTP/2's default (64 KiB)", window: undefined },
  { name: `Flywheel's (${GRPC_FLOW_CONTROL_WINDOW_BYTES / 1024 / 1024} MiB)`, window: GRPC_FLOW_CONTROL_WINDOW_BYTES },
];

interface Figures {
  readonly callsPerSecond: number;
  readonly clientMicros: number;
  readonly serverMicros: number;
}

function call(client: Client, path: string, message: Buffer): Promise<Buffer> {
  return new Promise((done, fail) => {
    const raw = (b: Buffer) => b;
    client.makeUnaryRequest(path, raw, raw, message, (error, reply) => (error ? fail(error) : done(reply!)));
  });
}

/** One measurement, in a process of its own: calls of `bytes` to the server at `address`, as JSON on stdout. */
async function measureAsClient(address: string, bytes: number): Promise<void> {
  // The client's own windows stay HTTP/2's: its answers are 16 bytes, so only the server's count.
  const client = new Client(address, credentials.createInsecure(), { 'grpc.max_send_message_length': 64 << 20 });
  const message = Buffer.alloc(bytes, 7);
  const serverCpu = async () => Number(String(await call(client, RAW_BYTES_SERVICE.cpu.path, Buffer.alloc(0))));
  const send = async (ms: number): Promise<number> => {
    const until = Date.now() + ms;
    let calls = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (Date.now() < until) {
          await call(client, RAW_BYTES_SERVICE.send.path, message);
          calls++;
        }
      }),
    );
    return calls;
  };
  await send(WARMUP_MS);
  const serverBefore = await serverCpu();
  const clientBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const calls = await send(SECONDS * 1000);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(clientBefore);
  const figures: Figures = {
    callsPerSecond: calls / seconds,
    clientMicros: (used.user + used.system) / calls,
    serverMicros: ((await serverCpu()) - serverBefore) / calls,
  };
  client.close();
  process.stdout.write(JSON.stringify(figures));
}

async function startServer(window: number | undefined): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(__dirname, 'raw-bytes-server.ts')], {
    env: { ...process.env, ...(window !== undefined && { BENCH_WINDOW: String(window) }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((done, fail) => {
    child.stdout!.once('data', (d) => done(Number(String(d).trim())));
    child.once('exit', (code) => fail(new Error(`the server exited with ${code}`)));
  });
  return { child, address: `127.0.0.1:${port}` };
}

function measure(address: string, bytes: number): Figures {
  const out = execFileSync(process.execPath, ['-r', '@swc-node/register', __filename], {
    env: { ...process.env, BENCH_CLIENT_OF: address, BENCH_CLIENT_BYTES: String(bytes) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(String(out)) as Figures;
}

async function main(): Promise<void> {
  const servers = await Promise.all(WINDOWS.map((w) => startServer(w.window)));
  const runs = SIZES.map(() => WINDOWS.map((): Figures[] => []));
  try {
    for (let run = 1; run <= RUNS; run++) {
      process.stderr.write(`run ${run}/${RUNS}:`);
      for (const [s, size] of SIZES.entries()) {
        for (const [w, server] of servers.entries()) {
          const figures = measure(server.address, size.bytes);
          runs[s][w].push(figures);
          process.stderr.write(` ${formatNumber(figures.callsPerSecond)}`);
        }
      }
      process.stderr.write(' calls/s\n');
    }
  } finally {
    for (const { child } of servers) child.kill('SIGTERM');
  }
  const rows: string[][] = [];
  const gains: string[] = [];
  for (const [s, size] of SIZES.entries()) {
    const medians = runs[s].map((figures) => ({
      callsPerSecond: median(figures.map((f) => f.callsPerSecond)),
      clientMicros: median(figures.map((f) => f.clientMicros)),
      serverMicros: median(figures.map((f) => f.serverMicros)),
    }));
    const baseline = medians[0].callsPerSecond;
    for (const [w, window] of WINDOWS.entries()) {
      const m = medians[w];
      rows.push([
        size.name,
        window.name,
        formatNumber(m.callsPerSecond),
        formatNumber((m.callsPerSecond * size.bytes) / 1e6),
        formatNumber(m.clientMicros),
        formatNumber(m.serverMicros),
        formatNumber(m.callsPerSecond / baseline, 2),
      ]);
    }
    gains.push(`${formatNumber(medians[medians.length - 1].callsPerSecond / baseline, 2)}× (${size.name})`);
  }
  process.stdout.write(
    `\n${table(
      [`message (${IN_FLIGHT} in flight)`, 'flow-control window', 'calls/s', 'MB/s', 'client CPU µs/call', 'server CPU µs/call', 'ratio'],
      rows,
    )}\n`,
  );
  process.stdout.write(`\nsummary: Flywheel's window ${gains.join(', ')} the calls/s of HTTP/2's default\n`);
}

const fail = (error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
};
if (process.env.BENCH_CLIENT_OF) measureAsClient(process.env.BENCH_CLIENT_OF, Number(process.env.BENCH_CLIENT_BYTES)).catch(fail);
else main().catch(fail);
