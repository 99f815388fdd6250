export * from './broker';
export { startTestBroker, spawnBrokerProcess, temporaryDataDir, type TestBroker, type BrokerProcess } from './broker/testing';
export * from './s3';
