import { type deployerV1 } from '@flywheel/contracts';
import { invalidArgument, type Page, parseRequest, readPage } from '@flywheel/platform';
import { z } from 'zod';
import { MAX_MODEL_NAME_LENGTH } from './deploy-request';
import { DEPLOYMENT_NAME_PATTERN } from './deployment';
import { type DeploymentChangeCursor, type DeploymentChangeFilter } from './deployment.repository';

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

/** A ListDeploymentChanges request: which changes, and the page. */
export interface DeploymentChangesQuery {
  readonly filter: DeploymentChangeFilter;
  readonly page: Page<DeploymentChangeCursor>;
}

const listDeploymentChangesRequest = z.object({
  deployment: z
    .string()
    .refine((name) => name === '' || DEPLOYMENT_NAME_PATTERN.test(name), `must match ${DEPLOYMENT_NAME_PATTERN.source}`),
  model_name: z.string().max(MAX_MODEL_NAME_LENGTH, `must be at most ${MAX_MODEL_NAME_LENGTH} characters`),
});

/** A page token of ListDeploymentChanges holds the last change's change time (ISO) and event id. */
const isChangeCursor = (value: unknown): value is DeploymentChangeCursor =>
  Array.isArray(value) &&
  value.length === 2 &&
  typeof value[0] === 'string' &&
  !Number.isNaN(Date.parse(value[0])) &&
  typeof value[1] === 'string' &&
  value[1] !== '';

export function parseListDeploymentChanges(request: deployerV1.ListDeploymentChangesRequest): DeploymentChangesQuery {
  const parsed = parseRequest(listDeploymentChangesRequest, { deployment: request.deployment, model_name: request.modelName });
  if (parsed.deployment === '' && parsed.model_name === '') throw invalidArgument('deployment', 'is required unless model_name is given');
  return {
    filter: {
      ...(parsed.deployment !== '' && { deployment: parsed.deployment }),
      ...(parsed.model_name !== '' && { modelName: parsed.model_name }),
    },
    page: readPage(request.page, isChangeCursor),
  };
}
