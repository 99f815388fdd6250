import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { WorkerTasks } from './worker-tasks';
import { type ArithmeticTask } from './testing/arithmetic-worker';
import { SLOW_WORKER_LOAD_MS, slowLoadingWorkerMarker } from './testing/slow-loading';

describe('WorkerTasks', () => {
  let tasks: WorkerTasks<ArithmeticTask, number>;

  beforeEach(() => {
    tasks = new WorkerTasks(join(__dirname, 'testing', 'arithmetic-worker.ts'), 'arithmetic');
  });

  afterEach(() => tasks.close());

  it('runs tasks on another thread and answers each with its own result', async () => {
    const results = await Promise.all([3, 4, 5].map((value) => tasks.run({ kind: 'square', value })));
    expect(results).toEqual([9, 16, 25]);
    expect(await tasks.run({ kind: 'thread' })).not.toBe(threadId);
  });

  it('fails only the task that threw, with its message', async () => {
    const failing = tasks.run({ kind: 'square', value: -2 });
    const fine = tasks.run({ kind: 'square', value: 2 });
    await expect(failing).rejects.toThrow('value: -2 is negative');
    await expect(fine).resolves.toBe(4);
  });

  it("spreads tasks over the pool's threads", async () => {
    const pool = new WorkerTasks<ArithmeticTask, number>(join(__dirname, 'testing', 'arithmetic-worker.ts'), 'arithmetic', 2);
    try {
      const threads = await Promise.all([1, 2, 3, 4].map(() => pool.run({ kind: 'thread' })));
      expect(new Set(threads).size).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('moves a result buffer back instead of copying it', async () => {
    const sequence = await tasks.run({ kind: 'sequence', length: 5 });
    expect(Array.from(sequence as unknown as Float64Array)).toEqual([0, 1, 2, 3, 4]);
    // Moved, the worker's copy is detached: it has no bytes left.
    expect(await tasks.run({ kind: 'last-sequence-bytes' })).toBe(0);
  });

  it('fails a task whose thread outgrows its memory limit with the reason, and the next task gets a new thread', async () => {
    const bounded = new WorkerTasks<ArithmeticTask, number>(join(__dirname, 'testing', 'arithmetic-worker.ts'), 'arithmetic', 1, {
      maxOldGenerationSizeMb: 32,
      maxYoungGenerationSizeMb: 8,
    });
    try {
      await expect(bounded.run({ kind: 'hoard' })).rejects.toThrow(/^arithmetic worker failed: .*memory limit/);
      expect(await bounded.run({ kind: 'square', value: 6 })).toBe(36);
    } finally {
      await bounded.close();
    }
  });

  it('stops a task that runs past its time budget, saying so, and the next task gets a new thread', async () => {
    const first = await tasks.run({ kind: 'thread' });
    await expect(tasks.run({ kind: 'spin', ms: 60_000 }, { timeoutMs: 200 })).rejects.toThrow(
      'arithmetic worker ran past its time budget of 0.2 s',
    );
    expect(await tasks.run({ kind: 'square', value: 8 })).toBe(64);
    expect(await tasks.run({ kind: 'thread' })).not.toBe(first);
  });

  it('keeps tasks waiting for a free thread, in order, and counts a time budget from when a thread takes the task', async () => {
    const order: string[] = [];
    const busy = tasks.run({ kind: 'spin', ms: 400 }).then(() => order.push('spin'));
    // Waits 400 ms behind the spin on the pool's one thread, then runs well within its 200 ms.
    const queued = tasks.run({ kind: 'square', value: 3 }, { timeoutMs: 200 }).then((n) => order.push(`square ${n}`));
    await Promise.all([busy, queued]);
    expect(order).toEqual(['spin', 'square 9']);
  });

  it('cancels a waiting task and stops the thread of a running one when their signal aborts, and goes on', async () => {
    const controller = new AbortController();
    const running = tasks.run({ kind: 'spin', ms: 60_000 }, { signal: controller.signal });
    const waiting = tasks.run({ kind: 'square', value: 2 }, { signal: controller.signal });
    const other = tasks.run({ kind: 'square', value: 5 });
    await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    await expect(waiting).rejects.toThrow('arithmetic task cancelled');
    await expect(running).rejects.toThrow('arithmetic worker stopped: its task was cancelled');
    expect(await other).toBe(25);
    await expect(tasks.run({ kind: 'square', value: 1 }, { signal: controller.signal })).rejects.toThrow('arithmetic task cancelled');
  });

  it('fails waiting and running tasks when closed', async () => {
    const running = tasks.run({ kind: 'spin', ms: 60_000 });
    const waiting = tasks.run({ kind: 'square', value: 2 });
    await new Promise((r) => setTimeout(r, 100));
    await tasks.close();
    await expect(running).rejects.toThrow('arithmetic worker stopped');
    await expect(waiting).rejects.toThrow('arithmetic worker stopped');
  });

  it('fails the tasks a dead worker held with the reason, and the next task gets a new worker', async () => {
    const first = await tasks.run({ kind: 'thread' });
    await expect(tasks.run({ kind: 'die' })).rejects.toThrow('arithmetic worker exited with code 3');
    expect(await tasks.run({ kind: 'square', value: 7 })).toBe(49);
    expect(await tasks.run({ kind: 'thread' })).not.toBe(first);
  });
});

describe('WorkerTasks on a thread still loading its modules', () => {
  const marker = slowLoadingWorkerMarker();
  let pool: WorkerTasks<number, number>;

  beforeEach(() => {
    rmSync(marker, { force: true });
    pool = new WorkerTasks(join(__dirname, 'testing', 'slow-loading-worker.ts'), 'slow');
  });

  afterEach(async () => {
    await pool.close();
    rmSync(marker, { force: true });
  });

  it("counts a task's time budget from when its thread has loaded, not from when the thread started", async () => {
    await expect(pool.run(5, { timeoutMs: SLOW_WORKER_LOAD_MS / 3 })).resolves.toBe(25);
  });

  // Node 20 aborts the whole process when a thread is terminated while it instantiates an ES
  // module it require()s; the loading here is a wait, so the test shows the order, not the abort.
  it('fails a cancelled task at once but terminates its thread only once the thread has loaded', async () => {
    const controller = new AbortController();
    const task = pool.run(5, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(task).rejects.toThrow('slow worker stopped: its task was cancelled');
    expect(existsSync(marker)).toBe(false);
    await pool.close();
    expect(existsSync(marker)).toBe(true);
  });

  it('closes at once when a thread failed to load, and its task fails with the reason', async () => {
    const failing = new WorkerTasks<number, number>(join(__dirname, 'testing', 'failing-worker.ts'), 'failing');
    await expect(failing.run(5)).rejects.toThrow('failing worker failed: a module of this worker failed to load');
    await failing.close();
  });
});
