import { join } from 'node:path';
import { WorkerThread } from './worker-thread';

describe('WorkerThread', () => {
  it('counts a thread that has not loaded within its grace as not loaded, and then terminates it', async () => {
    const thread = new WorkerThread(join(__dirname, 'testing', 'never-loading-worker.ts'), undefined, 300);
    const exited = new Promise<number>((resolve) => thread.worker.once('exit', resolve));
    await expect(thread.whenLoaded()).resolves.toBe(false);
    await thread.terminate();
    expect(await exited).toBe(1);
  });

  it('says when a thread has loaded, and terminates it on request', async () => {
    const thread = new WorkerThread(join(__dirname, 'testing', 'arithmetic-worker.ts'));
    await expect(thread.whenLoaded()).resolves.toBe(true);
    const exited = new Promise<number>((resolve) => thread.worker.once('exit', resolve));
    await thread.terminate();
    expect(await exited).toBe(1);
  });
});
