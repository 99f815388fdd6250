import {
  allServiceAcls,
  type BrokerSecurity,
  KAFKA_ADMIN_USER,
  principalOf,
  SERVICE_KAFKA_ACCESS,
  type KafkaService,
} from '@flywheel/contracts';
import { kafkaAccessFileBeside, kafkaAccessOf, readKafkaAccessFile } from '@flywheel/platform';
import { type ServiceName } from './service-catalog';

export interface EmbeddedKafkaAuth {
  /** `BrokerConfig.security`: the services', the admin's and the teams' users and ACLs. */
  readonly security: BrokerSecurity;
  /** The KAFKA_SASL_* variables of one service's process. */
  serviceEnv(service: ServiceName): Record<string, string>;
  /** The operator's superuser, e.g. for the demo and tools that read every topic. */
  readonly admin: { readonly name: string; readonly password: string };
}

/** kafkajs's `sasl` option (and what KAFKA_SASL_* say). */
export interface KafkaSasl {
  readonly mechanism: 'scram-sha-512';
  readonly username: string;
  readonly password: string;
}

/** What the embedded broker and the services get: the table's ACLs, plus the teams' from the Kafka-access file. */
export function embeddedKafkaAuth(passwords: Readonly<Record<string, string>>, kafkaAccessFile: string): EmbeddedKafkaAuth {
  const teams = kafkaAccessOf(readKafkaAccessFile(kafkaAccessFile));
  const services = Object.values(SERVICE_KAFKA_ACCESS).map((access) => ({ name: access.user, password: passwords[access.user] }));
  const admin = { name: KAFKA_ADMIN_USER, password: passwords[KAFKA_ADMIN_USER] };
  return {
    security: {
      users: [admin, ...services, ...teams.users],
      acls: [...allServiceAcls(), ...teams.acls],
      superUsers: [principalOf(KAFKA_ADMIN_USER)],
    },
    serviceEnv: (service) => {
      const user = SERVICE_KAFKA_ACCESS[service satisfies KafkaService].user;
      return { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: user, KAFKA_SASL_PASSWORD: passwords[user] };
    },
    admin,
  };
}

/**
 * The launcher's one call: the embedded broker's security and the services' credentials, or
 * undefined when Kafka is not the embedded broker (KAFKA_BROKERS given: its credentials are
 * the operator's, passed on in KAFKA_SASL_*).
 */
export function launcherKafkaAuth(
  env: NodeJS.ProcessEnv,
  passwords: Readonly<Record<string, string>>,
  tokensFile: string,
): EmbeddedKafkaAuth | undefined {
  if (env.KAFKA_BROKERS) return undefined;
  return embeddedKafkaAuth(passwords, kafkaAccessFileBeside(tokensFile));
}
