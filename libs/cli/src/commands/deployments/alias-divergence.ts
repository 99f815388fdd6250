import { type deployerV1, type registryV1 } from '@flywheel/contracts';
import type { GrpcClient } from '@flywheel/platform';
import { openService, type ServiceTarget, Targets } from '../../grpc/service-connection';

/**
 * Where a deployment does not serve what the alias it follows points at — after a manual
 * rollback, the registry's alias stays on the version rolled back from (until a newer version is
 * promoted, which the deployment then follows again): said plainly wherever either is shown.
 * Undefined when they agree, or when the deployment is pinned.
 */
export function aliasDivergence(
  deployment: deployerV1.Deployment,
  aliases: Readonly<Record<string, number>> | undefined,
): string | undefined {
  if (!deployment.alias || !aliases) return undefined;
  const target = aliases[deployment.alias];
  if (!target) return `${deployment.alias} is not set yet`;
  if (target === deployment.stableVersion || target === deployment.canaryVersion) return undefined;
  const serving = deployment.stableVersion > 0 ? `v${deployment.stableVersion}` : 'nothing';
  return `${deployment.alias} is v${target}, ${serving} is served (rolled back)`;
}

/** `ask` a service on the side; undefined when it cannot be asked: what the command shows first still stands. */
async function onTheSide<Controller, T>(
  target: ServiceTarget,
  ask: (client: GrpcClient<Controller>) => Promise<T>,
): Promise<T | undefined> {
  let service: Awaited<ReturnType<typeof openService<Controller>>> | undefined;
  try {
    service = await openService<Controller>(target);
    return await ask(service.client);
  } catch {
    return undefined;
  } finally {
    service?.client.close();
  }
}

/** Each model's aliases from the registry; undefined for every model when the registry cannot be asked. */
export const aliasesOfModels = (models: readonly string[]): Promise<Map<string, Record<string, number>> | undefined> =>
  onTheSide<registryV1.RegistryServiceController, Map<string, Record<string, number>>>(Targets.registry, async (client) => {
    const names = [...new Set(models)];
    return new Map(await Promise.all(names.map(async (name) => [name, (await client.getModel({ name })).model?.aliases ?? {}] as const)));
  });

/** The deployments serving `model`, from the deployer; undefined when it cannot be asked. */
export const deploymentsOfModel = (model: string): Promise<deployerV1.Deployment[] | undefined> =>
  onTheSide<deployerV1.DeployerServiceController, deployerV1.Deployment[]>(Targets.deployer, async (client) =>
    (await client.listDeployments({ page: { pageSize: 1000, pageToken: '' } })).deployments.filter((d) => d.modelName === model),
  );

/** A deployment in one line, for a model's page: what it follows, what it serves, and whether that is the alias. */
export function deploymentLine(d: deployerV1.Deployment, aliases: Readonly<Record<string, number>>): string {
  const serving = d.stableVersion > 0 ? `serves v${d.stableVersion}` : 'serves nothing yet';
  const canary = d.canaryVersion > 0 ? `, canary v${d.canaryVersion}` : '';
  const follows = d.alias ? `follows ${d.alias}` : 'pinned';
  const divergence = aliasDivergence(d, aliases);
  return `${d.name}: ${follows}, ${serving}${canary}${divergence ? ` — ${divergence}` : ''}`;
}
