export { KafkaBroker, UnsupportedRequestError } from './kafka-broker';
export { type BrokerConfig, DEFAULT_BROKER_CONFIG } from './broker-config';
export { type BrokerLogger, type LogLevel, jsonLogger } from './broker-logger';
