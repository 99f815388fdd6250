import { createServer } from 'node:net';

/** Asks the kernel for a free TCP port on loopback and releases it at once. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A free loopback port below Linux's ephemeral range (32768–60999), for a server that is stopped
 * and started again on the same port: in that range, an outgoing connection's local end may take
 * the port in between, and the restart fails with EADDRINUSE.
 */
export async function freeStablePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.unref();
      server.once('error', () => resolve(false));
      server.listen(port, host, () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port found in 20000–31999');
}

/**
 * `count` different ports from `pick`. Each pick is free when it is made, but nothing holds it, so
 * two picks for the same platform may return the same port; the second server would then fail to
 * bind.
 */
export async function distinctPorts(count: number, pick: () => Promise<number> = freePort): Promise<number[]> {
  const ports = new Set<number>();
  for (let attempt = 0; ports.size < count; attempt++) {
    if (attempt >= count * 20) throw new Error(`could not find ${count} different free ports`);
    ports.add(await pick());
  }
  return [...ports];
}
