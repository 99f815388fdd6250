import { type deployerV1, type registryV1 } from '@flywheel/contracts';
import type { GrpcClient } from '@flywheel/platform';
import { openService, Targets } from '../../grpc/service-connection';

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

/** Each model's aliases from the registry; undefined for every model when the registry cannot be asked. */
export async function aliasesOfModels(models: readonly string[]): Promise<Map<string, Record<string, number>> | undefined> {
  let registry: Awaited<ReturnType<typeof openService<registryV1.RegistryServiceController>>> | undefined;
  try {
    registry = await openService<registryV1.RegistryServiceController>(Targets.registry);
    const client: GrpcClient<registryV1.RegistryServiceController> = registry.client;
    const answers = await Promise.all(
      [...new Set(models)].map(async (name) => [name, (await client.getModel({ name })).model?.aliases ?? {}] as const),
    );
    return new Map(answers);
  } catch {
    // What the deployer says still stands; the check is an addition.
    return undefined;
  } finally {
    registry?.client.close();
  }
}

/** The deployments serving `model`, from the deployer; undefined when it cannot be asked. */
export async function deploymentsOfModel(model: string): Promise<deployerV1.Deployment[] | undefined> {
  let deployer: Awaited<ReturnType<typeof openService<deployerV1.DeployerServiceController>>> | undefined;
  try {
    deployer = await openService<deployerV1.DeployerServiceController>(Targets.deployer);
    const { deployments } = await deployer.client.listDeployments({ page: { pageSize: 1000, pageToken: '' } });
    return deployments.filter((d) => d.modelName === model);
  } catch {
    return undefined;
  } finally {
    deployer?.client.close();
  }
}

/** A deployment in one line, for a model's page: what it follows, what it serves, and whether that is the alias. */
export function deploymentLine(d: deployerV1.Deployment, aliases: Readonly<Record<string, number>>): string {
  const serving = d.stableVersion > 0 ? `serves v${d.stableVersion}` : 'serves nothing yet';
  const canary = d.canaryVersion > 0 ? `, canary v${d.canaryVersion}` : '';
  const follows = d.alias ? `follows ${d.alias}` : 'pinned';
  const divergence = aliasDivergence(d, aliases);
  return `${d.name}: ${follows}, ${serving}${canary}${divergence ? ` — ${divergence}` : ''}`;
}
