import { KAFKA_ADMIN_USER, KAFKA_SERVICES, principalOf, SERVICE_KAFKA_ACCESS } from '@flywheel/contracts';
import { KAFKA_ACCESS_SCRIPT, kafkaPasswordVariable, scriptUsers } from '@flywheel/platform';
import { composeEnvironment, composeService } from './compose-environment';
import { KUSTOMIZE_PRODUCTION, renderKustomization, resolveContainerEnv } from './kustomize-environment';

// Each service is its own Kafka principal wherever it is deployed: the same user names as the
// access table, passwords only from the environment or a Secret, and a broker that enforces them.

const fromEnv = (variable: string) => `\${${variable}:?set ${variable}}`;

describe.each(KAFKA_SERVICES)('the Kafka credentials of %s', (service) => {
  const user = SERVICE_KAFKA_ACCESS[service].user;

  it('are its own user in docker-compose.yml, the password from the environment', () => {
    expect(composeEnvironment(service)).toMatchObject({
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: user,
      KAFKA_SASL_PASSWORD: fromEnv(kafkaPasswordVariable(user)),
    });
  });

  it('are its own user in the production overlay, the password from flywheel-secrets', () => {
    const env = resolveContainerEnv(renderKustomization(KUSTOMIZE_PRODUCTION), service, service);
    expect(env.KAFKA_SASL_USERNAME).toEqual({ from: 'value', value: user });
    expect(env.KAFKA_SASL_PASSWORD).toEqual({ from: 'secret', ref: `flywheel-secrets/${kafkaPasswordVariable(user)}` });
  });
});

describe("docker-compose.yml's Kafka", () => {
  const kafka = composeEnvironment('kafka');

  it('takes clients only through SCRAM-SHA-512, and the anonymous listeners only on its loopback', () => {
    expect(kafka.KAFKA_SASL_ENABLED_MECHANISMS).toBe('SCRAM-SHA-512');
    const protocols = Object.fromEntries(kafka.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP.split(',').map((pair) => pair.split(':')));
    for (const listener of kafka.KAFKA_LISTENERS.split(',')) {
      const [, name, host] = /^(\w+):\/\/([^:]*):\d+$/.exec(listener)!;
      if (protocols[name] !== 'SASL_PLAINTEXT' && protocols[name] !== 'SASL_SSL') expect([listener, host]).toEqual([listener, '127.0.0.1']);
    }
    expect(kafka.KAFKA_ADVERTISED_LISTENERS).toContain(`SASL_PLAINTEXT://${composeEnvironment('ingestion').KAFKA_BROKERS}`);
  });

  it('denies what no ACL allows, and only the admin (and its loopback) is a super user', () => {
    expect(kafka.KAFKA_AUTHORIZER_CLASS_NAME).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    expect(kafka.KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND).toBe('false');
    expect(kafka.KAFKA_SUPER_USERS.split(';')).toEqual([principalOf(KAFKA_ADMIN_USER), 'User:ANONYMOUS']);
  });

  it("gets the users and ACLs from kafka-access.sh, run on its loopback with every user's password", () => {
    const access = composeService('kafka-access');
    expect(access.network_mode).toBe('service:kafka');
    expect(access.entrypoint).toEqual(['sh', `/etc/kafka/flywheel/${KAFKA_ACCESS_SCRIPT.split('/').pop()}`]);
    expect(access.volumes).toContain('./deploy/kafka:/etc/kafka/flywheel:ro');
    expect(composeEnvironment('kafka-access')).toEqual({
      KAFKA_BOOTSTRAP: '127.0.0.1:29092',
      ...Object.fromEntries(scriptUsers().map((user) => [kafkaPasswordVariable(user), fromEnv(kafkaPasswordVariable(user))])),
    });
    for (const service of KAFKA_SERVICES) {
      expect(composeService(service).depends_on).toEqual(
        expect.objectContaining({ 'kafka-access': { condition: 'service_completed_successfully' } }),
      );
    }
  });
});
