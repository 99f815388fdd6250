export { KafkaBroker, UnsupportedRequestError } from './kafka-broker';
export { type BrokerConfig, DEFAULT_BROKER_CONFIG } from './broker-config';
export { startTestBroker, spawnBrokerProcess, temporaryDataDir, type TestBroker, type BrokerProcess } from './testing';
export type { BrokerSecurity, KafkaAcl, KafkaAclOperation, KafkaAclResource, KafkaUser } from '@flywheel/contracts';
export { parseBrokerSecurity } from './security/broker-security';
export { readUsersFile } from './security/users-file';
