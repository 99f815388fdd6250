import { type deployerV1 } from '@flywheel/contracts';
import { parseRequest } from '@flywheel/platform';
import { z } from 'zod';
import { DEPLOYMENT_NAME_PATTERN } from './deployment';

// Keyed by the .proto's field names, so each violation names the field as callers spell it.

const MAX_REASON_LENGTH = 1000;

const deploymentName = z.string().regex(DEPLOYMENT_NAME_PATTERN, `must match ${DEPLOYMENT_NAME_PATTERN.source}`);

/** A rollback by API: to `toVersion`, or (0) drop the canary or return to the previous stable version. */
export interface RollbackOrder {
  readonly deployment: string;
  readonly toVersion: number;
  readonly reason: string;
}

const rollbackRequest = z.object({
  deployment: deploymentName,
  to_version: z
    .number({ error: 'must be 0 or a version number' })
    .int('must be 0 or a version number')
    .min(0, 'must be 0 or a version number'),
  reason: z.string().max(MAX_REASON_LENGTH, `must be at most ${MAX_REASON_LENGTH} characters`),
});

export function parseRollback(request: deployerV1.RollbackRequest): RollbackOrder {
  const parsed = parseRequest(rollbackRequest, { deployment: request.deployment, to_version: request.toVersion, reason: request.reason });
  return { deployment: parsed.deployment, toVersion: parsed.to_version, reason: parsed.reason };
}

const getDeploymentRequest = z.object({ name: deploymentName });

export function parseGetDeployment(request: deployerV1.GetDeploymentRequest): string {
  return parseRequest(getDeploymentRequest, { name: request.name }).name;
}

const rolloutStatusRequest = z.object({ deployment: deploymentName });

export function parseRolloutStatus(request: deployerV1.GetRolloutStatusRequest): string {
  return parseRequest(rolloutStatusRequest, { deployment: request.deployment }).deployment;
}
