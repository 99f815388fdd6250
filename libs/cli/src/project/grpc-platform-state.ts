import {
  type deployerV1,
  type featureStoreV1,
  type ingestionV1,
  type monitorV1,
  type registryV1,
  type trainerV1,
} from '@flywheel/contracts';
import type { GrpcClient } from '@flywheel/platform';
import { grpcStatusOf, openService, type ServiceTarget, Targets } from '../grpc/service-connection';
import { type PlatformState } from './platform-state';

const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;

type Opened<C> = Awaited<ReturnType<typeof openService<C>>>;

/**
 * The platform as the six services' gRPC contracts show it, each at its address variable
 * (INGESTION_GRPC_ADDRESS, …) or its default, with $FLYWHEEL_TOKEN. A service is only
 * connected when asked for; all are closed when `work` ends.
 */
export async function withGrpcPlatformState<T>(work: (state: PlatformState) => Promise<T>): Promise<T> {
  const opened = new Map<ServiceTarget, Promise<Opened<unknown>>>();
  const service = async <C>(target: ServiceTarget): Promise<Opened<C>> => {
    if (!opened.has(target)) opened.set(target, openService<unknown>(target));
    return (await opened.get(target)!) as Opened<C>;
  };
  // A call's gRPC error becomes the one-line usage error that names the service, but for a
  // status that is an answer of its own (`expected`), turned into the result.
  const call = async <C, R, A = never>(
    target: ServiceTarget,
    send: (client: GrpcClient<C>) => Promise<R>,
    expected?: { readonly status: number; answer(error: unknown): A },
  ): Promise<R | A> => {
    const { client, describe } = await service<C>(target);
    try {
      return await send(client);
    } catch (error) {
      if (expected && grpcStatusOf(error) === expected.status) return expected.answer(error);
      throw describe(error);
    }
  };
  // A read of something the platform does not have answers undefined.
  const read = <C, R>(target: ServiceTarget, send: (client: GrpcClient<C>) => Promise<R>): Promise<R | undefined> =>
    call<C, R, undefined>(target, send, { status: NOT_FOUND, answer: () => undefined });
  type Ingestion = ingestionV1.IngestionServiceController;
  type FeatureStore = featureStoreV1.FeatureStoreServiceController;
  type Registry = registryV1.RegistryServiceController;
  type Trainer = trainerV1.TrainerServiceController;
  type Monitor = monitorV1.MonitorServiceController;
  type Deployer = deployerV1.DeployerServiceController;
  const state: PlatformState = {
    dataset: async (name) =>
      (await read<Ingestion, ingestionV1.GetDatasetResponse>(Targets.ingestion, (c) => c.getDataset({ name })))?.dataset,
    featureView: async (name) =>
      (
        await read<FeatureStore, featureStoreV1.GetFeatureViewResponse>(Targets.featureStore, (c) =>
          c.getFeatureView({ name, revision: 0 }),
        )
      )?.featureView,
    model: async (name) => (await read<Registry, registryV1.GetModelResponse>(Targets.registry, (c) => c.getModel({ name })))?.model,
    promotionPolicy: async (modelName) =>
      (await read<Registry, registryV1.GetPromotionPolicyResponse>(Targets.registry, (c) => c.getPromotionPolicy({ modelName })))?.policy,
    retrainingPolicy: async (modelName) =>
      (await read<Trainer, trainerV1.GetRetrainingPolicyResponse>(Targets.trainer, (c) => c.getRetrainingPolicy({ modelName })))?.policy,
    monitoringPolicy: async (modelName) =>
      (await read<Monitor, monitorV1.GetMonitoringPolicyResponse>(Targets.monitor, (c) => c.getMonitoringPolicy({ modelName })))?.policy,
    deployment: async (name) =>
      (await read<Deployer, deployerV1.GetDeploymentResponse>(Targets.deployer, (c) => c.getDeployment({ name })))?.deployment,

    registerDataset: async (request) => void (await call<Ingestion, unknown>(Targets.ingestion, (c) => c.registerDataset(request))),
    // A change the service would refuse is FAILED_PRECONDITION, its message the reason.
    datasetUpdateRefusal: async (request) => {
      const refusal = await call<Ingestion, unknown, string>(
        Targets.ingestion,
        (c) => c.updateDataset({ ...request, validateOnly: true }),
        {
          status: FAILED_PRECONDITION,
          answer: (error) => (error as { details?: string }).details ?? String(error),
        },
      );
      return typeof refusal === 'string' ? refusal : undefined;
    },
    updateDataset: async (request) =>
      void (await call<Ingestion, unknown>(Targets.ingestion, (c) => c.updateDataset({ ...request, validateOnly: false }))),
    applyFeatureView: async (request) => void (await call<FeatureStore, unknown>(Targets.featureStore, (c) => c.applyFeatureView(request))),
    createModel: async (request) => void (await call<Registry, unknown>(Targets.registry, (c) => c.createModel(request))),
    setPromotionPolicy: async (policy) => void (await call<Registry, unknown>(Targets.registry, (c) => c.setPromotionPolicy({ policy }))),
    setRetrainingPolicy: async (policy) => void (await call<Trainer, unknown>(Targets.trainer, (c) => c.setRetrainingPolicy({ policy }))),
    setMonitoringPolicy: async (policy) => void (await call<Monitor, unknown>(Targets.monitor, (c) => c.setMonitoringPolicy({ policy }))),
    deploy: async (request) => void (await call<Deployer, unknown>(Targets.deployer, (c) => c.deploy(request))),
  };
  try {
    return await work(state);
  } finally {
    for (const pending of opened.values()) (await pending.catch(() => undefined))?.client.close();
  }
}
