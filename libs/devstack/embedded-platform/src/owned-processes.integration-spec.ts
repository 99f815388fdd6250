import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { eventually } from '@flywheel/test-kit';
import { exited, identify, isPostgresOf, runningFrom, terminate, writePidFile } from './owned-processes';

// Real processes and /proc: a detached node child stands for a service left running; it has a
// child of its own (in its process group) and says both pids once its SIGTERM handler is in place.
const SCRIPT = `
const helper = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
process.on('SIGTERM', () => setTimeout(() => process.exit(0), 50));
setInterval(() => {}, 1000);
process.stdout.write(process.pid + ' ' + helper.pid + '\\n');
`;

describe('owned processes', () => {
  let dir: string;
  let child: ChildProcess;
  let marker: string;
  let helperPid: number;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flywheel-owned-'));
    marker = join(dir, 'service-main.js');
    writeFileSync(marker, SCRIPT);
    child = spawn(process.execPath, [marker], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    helperPid = Number(line.toString().trim().split(' ')[1]);
  });

  afterEach(() => {
    for (const pid of [-child.pid!, helperPid]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the process its pid file names, and stops its process group', async () => {
    const file = join(dir, 'svc.pid');
    writePidFile(file, child.pid!, marker);
    const found = runningFrom(file);
    expect(found).toMatchObject({ pid: child.pid, group: child.pid });
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
    expect(await terminate(found!, { first: 'SIGTERM', graceMs: 10_000, group: true })).toBe('stopped');
    expect(await exited).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(identify(helperPid)).toBeUndefined();
    expect(runningFrom(file)).toBeUndefined();
  });

  it('kills with SIGKILL what does not stop within the grace', async () => {
    const found = identify(child.pid!)!;
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
    expect(await terminate(found, { first: 'SIGCONT', graceMs: 300 })).toBe('killed');
    expect(await exited).toBe('SIGKILL');
  });

  it('never names a process whose pid was reused or whose command differs', () => {
    const file = join(dir, 'svc.pid');
    // Same pid, another start time: the pid now belongs to someone else.
    writeFileSync(file, JSON.stringify({ pid: child.pid, startTicks: identify(child.pid!)!.startTicks - 1, marker }));
    expect(runningFrom(file)).toBeUndefined();
    // A live unrelated process: this test's own, and init.
    writePidFile(file, process.pid, marker);
    expect(runningFrom(file)).toBeUndefined();
    writeFileSync(file, JSON.stringify({ pid: 1, startTicks: identify(1)?.startTicks, marker: '/sbin/init' }));
    expect(runningFrom(file)).toBeUndefined();
  });

  it('ignores a garbled, oversized or hostile pid file', () => {
    const file = join(dir, 'svc.pid');
    const pidOf = child.pid!;
    const startTicks = identify(pidOf)!.startTicks;
    for (const text of [
      'not json',
      '',
      JSON.stringify({ pid: String(pidOf), startTicks, marker }),
      JSON.stringify({ pid: pidOf, startTicks, marker: '' }),
      JSON.stringify({ pid: -1, startTicks, marker }),
      JSON.stringify({ pid: pidOf, startTicks, marker: marker + ' '.repeat(5000) }),
    ]) {
      writeFileSync(file, text);
      expect([text.slice(0, 40), runningFrom(file)]).toEqual([text.slice(0, 40), undefined]);
    }
    expect(runningFrom(join(dir, 'missing.pid'))).toBeUndefined();
  });

  it('waits, before calling a process stopped, for its last thread: the one that still holds its port', async () => {
    // Exiting, a process's main thread can be a zombie while another thread still runs and holds
    // the process's listening socket. python3 shows it for as long as wanted: the main thread
    // calls pthread_exit, a second thread keeps the socket for 1.5 s and then returns.
    const script = [
      'import ctypes, socket, sys, threading, time',
      's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()',
      'print(s.getsockname()[1], flush=True)',
      'threading.Thread(target=lambda: time.sleep(1.5)).start()',
      'ctypes.CDLL(None).pthread_exit(None)',
    ].join('\n');
    const python = spawn('/usr/bin/python3', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(python.stdout!, 'data')) as [Buffer];
    const port = Number(line.toString().trim());
    const pid = python.pid!;
    await eventually(() => identify(pid) === undefined, 1000, 20);
    // The main thread is a zombie, the process is not gone: its port is still taken.
    expect(identify(pid)).toBeUndefined();
    expect(exited(pid)).toBe(false);
    expect(await bindable(port)).toBe(false);

    // SIGCONT changes nothing: terminate returns once the last thread is gone, and the port is free.
    expect(await terminate({ pid, startTicks: 0, group: 0, commandLine: [] }, { first: 'SIGCONT', graceMs: 10_000 })).toBe('stopped');
    expect(exited(pid)).toBe(true);
    expect(await bindable(port)).toBe(true);
  });

  it('takes no process for a postgres of a data folder unless it is one', () => {
    expect(isPostgresOf(child.pid!, dir)).toBe(false);
    expect(isPostgresOf(process.pid, process.cwd())).toBe(false);
    expect(isPostgresOf(Number.NaN, dir)).toBe(false);
  });
});

async function bindable(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
