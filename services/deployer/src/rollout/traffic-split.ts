import { createHash } from 'node:crypto';

/**
 * Where a request falls in [0, 1), from its id: the same request id always lands in the same
 * place, so a retried request is answered by the same version. The deployment and the canary
 * version salt the hash, so each canary gets its own slice of traffic rather than the same
 * callers every time.
 */
export function trafficBucket(deployment: string, canaryVersion: number, requestId: string): number {
  const digest = createHash('sha256').update(`${deployment}\u0000${canaryVersion}\u0000${requestId}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

/** Whether the canary answers this request. */
export function routesToCanary(deployment: string, canaryVersion: number, canaryShare: number, requestId: string): boolean {
  if (canaryVersion <= 0 || canaryShare <= 0) return false;
  return trafficBucket(deployment, canaryVersion, requestId) < canaryShare;
}
