import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DEBIAN_PYTHON } from '@flywheel/test-kit';
import { type Credential, loginEnvironment } from './kafkajs-helpers';

/** Every child a test starts, so that `killAll()` in afterAll leaves nothing behind. */
const running = new Set<ChildProcess>();

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the tool was killed for running past its time limit. */
  timedOut: boolean;
}

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  /** Added to the environment the command inherits. */
  env?: Record<string, string>;
}

/**
 * Runs a command to completion, feeding `input` on stdin. Output is collected without the
 * 1 MB cap of spawnSync, since consuming 100 000 messages prints several MB.
 */
export function runTool(command: string, args: string[], options: RunOptions = {}): Promise<ToolResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const env = options.env && { ...process.env, ...options.env };
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    running.add(child);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => stdout.push(d));
    child.stderr!.on('data', (d: Buffer) => stderr.push(d));
    // A tool that exits early closes its stdin; the exit code tells the story, not EPIPE.
    child.stdin!.on('error', () => undefined);
    child.once('error', (error) => {
      clearTimeout(timer);
      running.delete(child);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        timedOut,
      });
    });
    child.stdin!.end(options.input ?? '');
  });
}

/**
 * librdkafka's options (kcat's -X) to log in as `credential` the way the platform documents:
 * SASL_PLAINTEXT with SCRAM-SHA-512. The one place a kcat invocation learns a login.
 */
export function kcatLogin(credential: Credential): string[] {
  return [
    '-X',
    'security.protocol=SASL_PLAINTEXT',
    '-X',
    'sasl.mechanisms=SCRAM-SHA-512',
    '-X',
    `sasl.username=${credential.username}`,
    '-X',
    `sasl.password=${credential.password}`,
  ];
}

/** A broker as kcat reaches it: its address and, unless it is anonymous, the login to use. */
export interface KcatBroker {
  address: string;
  credential?: Credential;
}

/** kcat's `-b <address>` and the broker's login: what every kcat invocation of a suite starts with. */
export function kcatBroker(broker: KcatBroker): string[] {
  return ['-b', broker.address, ...(broker.credential ? kcatLogin(broker.credential) : [])];
}

/** Runs kcat and fails with its stderr unless it exits with 0. */
export async function kcat(args: string[], options: RunOptions = {}): Promise<ToolResult> {
  const result = await runTool('kcat', args, options);
  if (result.code !== 0) {
    throw new Error(
      `kcat ${args.join(' ')} exited with ${result.code ?? result.signal}${result.timedOut ? ' (timed out)' : ''}:\n${result.stderr.slice(-4000)}`,
    );
  }
  return result;
}

const FIXTURES = join(__dirname, 'fixtures');

/**
 * Runs a Python fixture with Debian's interpreter (the only one with confluent_kafka) and parses
 * its JSON. With `credential`, the fixture's clients log in: fixtures/conformance_login.py merges
 * it (passed by loginEnvironment) into every client config.
 */
export async function pythonFixture<T>(
  script: string,
  args: string[],
  { timeoutMs = 120_000, credential }: { timeoutMs?: number; credential?: Credential } = {},
): Promise<T> {
  // The fixtures import conformance_login.py: no __pycache__ may be left in the source tree.
  const env = { PYTHONDONTWRITEBYTECODE: '1', ...(credential && loginEnvironment(credential)) };
  const result = await runTool(DEBIAN_PYTHON, [join(FIXTURES, script), ...args], { timeoutMs, env });
  if (result.code !== 0) {
    throw new Error(`${script} ${args.join(' ')} exited with ${result.code ?? result.signal}:\n${result.stderr.slice(-4000)}`);
  }
  return JSON.parse(result.stdout) as T;
}

export interface Consumed {
  partition: number;
  offset: number;
  key: string;
  value: string;
}

/** The consumer format every test uses: partition, offset, key and value, space separated. */
export const CONSUME_FORMAT = '%p %o %k %s\\n';

/** Parses lines printed with CONSUME_FORMAT (values may contain spaces, keys may not). */
export function parseConsumed(stdout: string): Consumed[] {
  const out: Consumed[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const match = /^(\d+) (\d+) (\S*) (.*)$/.exec(line);
    if (!match) throw new Error(`unexpected kcat output line: ${line.slice(0, 200)}`);
    out.push({ partition: Number(match[1]), offset: Number(match[2]), key: match[3], value: match[4] });
  }
  return out;
}

/** Offsets per partition, each list sorted. */
export function offsetsByPartition(messages: { partition: number; offset: number }[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const m of messages) {
    const list = out.get(m.partition) ?? [];
    list.push(m.offset);
    out.set(m.partition, list);
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

/** A long-running kcat (a consumer without -e, a group member) whose output is read as it comes. */
export class KcatProcess {
  readonly child: ChildProcess;
  /** stdout lines; kcat runs with -u so that each message line arrives at once. */
  readonly lines: string[] = [];
  /** The tail of stderr, for failure messages. */
  readonly log: string[] = [];
  readonly exited: Promise<number | string>;

  constructor(args: string[]) {
    this.child = spawn('kcat', ['-u', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(this.child);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        running.delete(this.child);
        resolve(code ?? signal ?? -1);
      }),
    );
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.lines.push(line));
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      // Bounded: keep the tail only.
      this.log.push(line);
      if (this.log.length > 500) this.log.shift();
      this.onStderr(line);
    });
  }

  protected onStderr(_line: string): void {}

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

/**
 * One `kcat -G` member in its own process. kcat reports each eager rebalance on stderr as
 * "% Group <g> rebalanced (memberid <id>): assigned: <topic> [<p>], ..." (or "revoked: ...");
 * `assignment` follows those lines (and the cooperative protocol's "incremental assignment" and
 * "incremental revoke" lines), so it is what the member owns right now. Messages arrive
 * on `lines` in CONSUME_FORMAT.
 */
export class KcatGroupMember extends KcatProcess {
  assignment: number[] = [];
  /** How many "assigned" events this member has seen. */
  assignedCount = 0;
  memberId = '';

  constructor(broker: KcatBroker, group: string, topic: string, extraArgs: string[] = []) {
    super([
      ...kcatBroker(broker),
      '-G',
      group,
      // Short session timeout so that a killed member is noticed quickly.
      '-X',
      'session.timeout.ms=6000',
      '-X',
      'heartbeat.interval.ms=500',
      '-X',
      'auto.offset.reset=earliest',
      '-f',
      CONSUME_FORMAT,
      ...extraArgs,
      topic,
    ]);
  }

  protected override onStderr(line: string): void {
    const eager = /rebalanced \(memberid ([^)]*)\): (assigned|revoked): ?(.*)$/.exec(line);
    // The cooperative protocol adds and removes partitions instead of replacing the assignment:
    // "rebalanced: incremental assignment of 2 partition(s) (memberid <id>, COOPERATIVE ...): t [0], t [3]"
    const incremental = /rebalanced: incremental (assignment|revoke) of \d+ partition\(s\) \(memberid ([^,)]*)[^)]*\): ?(.*)$/.exec(line);
    if (!eager && !incremental) return;
    const [memberId, kind, list] = eager ? [eager[1], eager[2], eager[3]] : [incremental![2], incremental![1], incremental![3]];
    this.memberId = memberId;
    const partitions = [...list.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
    if (kind === 'assigned') {
      this.assignment = partitions.sort((a, b) => a - b);
      this.assignedCount++;
    } else if (kind === 'assignment') {
      this.assignment = [...this.assignment, ...partitions].sort((a, b) => a - b);
      this.assignedCount++;
    } else {
      this.assignment = this.assignment.filter((p) => !partitions.includes(p));
    }
  }
}

/** Kills every child still running; for afterAll and `finally`. */
export async function killAll(): Promise<void> {
  const children = [...running];
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(
    children.map((child) =>
      child.exitCode !== null || child.signalCode !== null ? undefined : new Promise<void>((r) => child.once('exit', () => r())),
    ),
  );
  running.clear();
}
