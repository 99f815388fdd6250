import { GrpcServices, commonV1, deployerV1, featureStoreV1, ingestionV1, monitorV1, registryV1, trainerV1 } from './index';

// The services bind their controllers with these generated symbols; a rename in a .proto or a
// change of ts-proto options that drops them must fail here, not at boot.
describe('generated NestJS contracts', () => {
  const services = [
    {
      ns: ingestionV1,
      pkg: 'FLYWHEEL_INGESTION_V1_PACKAGE_NAME',
      name: 'INGESTION_SERVICE_NAME',
      methods: 'IngestionServiceControllerMethods',
      contract: GrpcServices.ingestion,
      expected: ['flywheel.ingestion.v1', 'IngestionService'],
    },
    {
      ns: featureStoreV1,
      pkg: 'FLYWHEEL_FEATURESTORE_V1_PACKAGE_NAME',
      name: 'FEATURE_STORE_SERVICE_NAME',
      methods: 'FeatureStoreServiceControllerMethods',
      contract: GrpcServices.featureStore,
      expected: ['flywheel.featurestore.v1', 'FeatureStoreService'],
    },
    {
      ns: trainerV1,
      pkg: 'FLYWHEEL_TRAINER_V1_PACKAGE_NAME',
      name: 'TRAINER_SERVICE_NAME',
      methods: 'TrainerServiceControllerMethods',
      contract: GrpcServices.trainer,
      expected: ['flywheel.trainer.v1', 'TrainerService'],
    },
    {
      ns: registryV1,
      pkg: 'FLYWHEEL_REGISTRY_V1_PACKAGE_NAME',
      name: 'REGISTRY_SERVICE_NAME',
      methods: 'RegistryServiceControllerMethods',
      contract: GrpcServices.registry,
      expected: ['flywheel.registry.v1', 'RegistryService'],
    },
    {
      ns: deployerV1,
      pkg: 'FLYWHEEL_DEPLOYER_V1_PACKAGE_NAME',
      name: 'DEPLOYER_SERVICE_NAME',
      methods: 'DeployerServiceControllerMethods',
      contract: GrpcServices.deployer,
      expected: ['flywheel.deployer.v1', 'DeployerService'],
    },
    {
      ns: monitorV1,
      pkg: 'FLYWHEEL_MONITOR_V1_PACKAGE_NAME',
      name: 'MONITOR_SERVICE_NAME',
      methods: 'MonitorServiceControllerMethods',
      contract: GrpcServices.monitor,
      expected: ['flywheel.monitor.v1', 'MonitorService'],
    },
  ];

  it.each(services.map((s) => [s.expected[1], s] as const))('%s has its package, service name and controller decorator', (_, s) => {
    const ns = s.ns as unknown as Record<string, unknown>;
    expect(ns[s.pkg]).toBe(s.expected[0]);
    expect(ns[s.name]).toBe(s.expected[1]);
    expect(typeof ns[s.methods]).toBe('function');
    expect(typeof (ns[s.methods] as () => unknown)()).toBe('function');
    const area = s.expected[0].split('.')[1];
    expect(s.contract).toEqual({ packageName: s.expected[0], serviceName: s.expected[1], protoPath: `flywheel/${area}/v1/${area}.proto` });
  });

  it('exposes message codecs with their full names for events', () => {
    expect(registryV1.AliasMoved.$type).toBe('flywheel.registry.v1.AliasMoved');
    expect(commonV1.Value.$type).toBe('flywheel.common.v1.Value');
    const bytes = commonV1.Row.encode({ values: { x: { numberValue: 1 } } }).finish();
    expect(commonV1.Row.decode(bytes)).toEqual({ values: { x: { numberValue: 1 } } });
  });

  it('keeps numeric enums with a zero UNSPECIFIED value', () => {
    expect(commonV1.ColumnType.COLUMN_TYPE_UNSPECIFIED).toBe(0);
    expect(deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_ROLLED_BACK).toBe(4);
  });
});
