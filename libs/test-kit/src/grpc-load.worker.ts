// The thread of a LoadThread (grpc-load.ts): drives each load point it is sent and posts back its figures.
import { parentPort } from 'node:worker_threads';
import { driveBidiStream, driveUnary, type LoadPoint } from './grpc-load';

parentPort!.on('message', ({ streaming, point }: { streaming: boolean; point: LoadPoint }) => {
  // Buffers arrive as plain Uint8Arrays; grpc-js frames messages with Buffer's own methods.
  const requests = point.requests.map((r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength));
  const drive = streaming ? driveBidiStream : driveUnary;
  drive({ ...point, requests }).then(
    (figures) => parentPort!.postMessage({ ok: true, figures }),
    (error: unknown) => parentPort!.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) }),
  );
});
