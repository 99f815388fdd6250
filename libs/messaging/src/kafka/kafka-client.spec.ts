import { parseBrokers } from './kafka-client';

describe('parseBrokers', () => {
  it('reads the comma-separated KAFKA_BROKERS list', () => {
    expect(parseBrokers(' kafka-0:9092, kafka-1.kafka:9093 ,')).toEqual(['kafka-0:9092', 'kafka-1.kafka:9093']);
    expect(parseBrokers(['127.0.0.1:9092'])).toEqual(['127.0.0.1:9092']);
  });

  it('names the variable and the bad entry', () => {
    expect(() => parseBrokers('')).toThrow('KAFKA_BROKERS: at least one host:port is required');
    expect(() => parseBrokers('kafka:9092,kafka')).toThrow('KAFKA_BROKERS: "kafka" is not host:port');
    expect(() => parseBrokers('kafka:99999')).toThrow('KAFKA_BROKERS: "kafka:99999" is not host:port');
  });
});
