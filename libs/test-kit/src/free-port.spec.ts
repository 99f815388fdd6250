import { createServer } from 'node:net';
import { distinctPorts, freePort, freeStablePort } from './free-port';

async function listenAndClose(port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('freePort', () => {
  it('returns a port that a server can then listen on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    await listenAndClose(port);
  });
});

describe('freeStablePort', () => {
  it("returns a port below Linux's ephemeral range that a server can then listen on", async () => {
    const port = await freeStablePort();
    expect(port).toBeGreaterThanOrEqual(20_000);
    expect(port).toBeLessThan(32_768);
    await listenAndClose(port);
  });
});

describe('distinctPorts', () => {
  it('never hands out the same port twice, even when the picker repeats itself', async () => {
    const picks = [5, 5, 7, 5, 7, 9];
    const ports = await distinctPorts(3, async () => picks.shift()!);
    expect(ports).toEqual([5, 7, 9]);
  });

  it('gives up, naming how many it wanted, when the picker keeps repeating itself', async () => {
    await expect(distinctPorts(2, async () => 5)).rejects.toThrow('could not find 2 different free ports');
  });
});
