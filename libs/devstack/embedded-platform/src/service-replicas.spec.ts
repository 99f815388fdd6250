import { SERVICES } from './service-catalog';
import { parseReplicas, planReplicas, replicaAddress, replicaSummary } from './service-replicas';

const defaults = (service: (typeof SERVICES)[number]) => ({
  grpc: 8051 + SERVICES.indexOf(service),
  http: 8081 + SERVICES.indexOf(service),
});

describe('service replicas', () => {
  it('runs one process per service unless told', () => {
    const plan = planReplicas(parseReplicas(undefined), defaults, {});
    expect(plan.map((r) => [r.name, r.instance, r.grpcPort, r.httpPort])).toEqual(
      SERVICES.map((service, i) => [service, `${service}-1`, 8051 + i, 8081 + i]),
    );
    expect(replicaAddress(plan, 'deployer')).toBe('127.0.0.1:8055');
    expect(replicaSummary(plan)).toBe('');
  });

  it('names and places the replicas of --replicas deployer=2,feature-store=3 a hundred ports apart, and lists them all as the address', () => {
    const plan = planReplicas(parseReplicas('deployer=2, feature-store=3'), defaults, {});
    const deployers = plan.filter((r) => r.service === 'deployer');
    expect(deployers).toEqual([
      { service: 'deployer', replica: 1, name: 'deployer', instance: 'deployer-1', grpcPort: 8055, httpPort: 8085 },
      { service: 'deployer', replica: 2, name: 'deployer-2', instance: 'deployer-2', grpcPort: 8155, httpPort: 8185 },
    ]);
    expect(plan.filter((r) => r.service === 'feature-store').map((r) => r.grpcPort)).toEqual([8052, 8152, 8252]);
    expect(replicaAddress(plan, 'deployer')).toBe('127.0.0.1:8055,127.0.0.1:8155');
    expect(replicaSummary(plan)).toBe('feature-store ×3, deployer ×2');
    expect(new Set(plan.flatMap((r) => [r.grpcPort, r.httpPort])).size).toBe(plan.length * 2);
  });

  it("takes a service's own port variable for its first replica, or one port per replica", () => {
    const single = planReplicas(parseReplicas('deployer=2'), defaults, { DEPLOYER_GRPC_PORT: '9055' });
    expect(single.filter((r) => r.service === 'deployer').map((r) => r.grpcPort)).toEqual([9055, 9155]);
    const listed = planReplicas(parseReplicas('deployer=2'), defaults, {
      DEPLOYER_GRPC_PORT: '9055,9056',
      DEPLOYER_HTTP_PORT: '9085, 9086',
    });
    expect(listed.filter((r) => r.service === 'deployer').map((r) => [r.grpcPort, r.httpPort])).toEqual([
      [9055, 9085],
      [9056, 9086],
    ]);
  });

  it('refuses an unknown service, a count out of range and a port list of the wrong length, naming what is wrong', () => {
    expect(() => parseReplicas('deployr=2')).toThrow(
      'replicas: "deployr" is no service (one of ingestion, feature-store, trainer, registry, deployer, monitor)',
    );
    expect(() => parseReplicas('deployer=0')).toThrow('replicas: "deployer=0" must be <service>=<1…4>');
    expect(() => parseReplicas('deployer=5')).toThrow('must be <service>=<1…4>');
    expect(() => parseReplicas('deployer=2=3')).toThrow('must be <service>=<1…4>');
    expect(() => parseReplicas('deployer=two')).toThrow('must be <service>=<1…4>');
    expect(() => planReplicas(parseReplicas('deployer=3'), defaults, { DEPLOYER_GRPC_PORT: '9055,9056' })).toThrow(
      'DEPLOYER_GRPC_PORT lists 2 ports for 3 replicas: give one, or one per replica',
    );
    expect(() => planReplicas(parseReplicas(''), defaults, { DEPLOYER_HTTP_PORT: '80a' })).toThrow(
      'DEPLOYER_HTTP_PORT must be a TCP port, got "80a"',
    );
  });
});
