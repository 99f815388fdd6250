export { KafkaBroker, UnsupportedRequestError } from './kafka-broker';
export { type BrokerConfig, DEFAULT_BROKER_CONFIG } from './broker-config';
export { startTestBroker, spawnBrokerProcess, temporaryDataDir, type TestBroker, type BrokerProcess } from './testing';
