import { kafkaClientSecurity, type KafkaSecurityConfig } from './kafka-security';

const anonymous: KafkaSecurityConfig = { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SSL: false };
const pem = (variable: string, path: string) => `-----BEGIN ${variable}-----\n${path}\n`;

describe('kafkaClientSecurity', () => {
  it('connects anonymously and in clear text when nothing is configured', () => {
    expect(kafkaClientSecurity(anonymous, pem)).toEqual({ sasl: undefined });
  });

  it("authenticates as the service's own principal with SCRAM-SHA-512", () => {
    const security = kafkaClientSecurity({ ...anonymous, KAFKA_SASL_USERNAME: 'registry', KAFKA_SASL_PASSWORD: 'pw' }, pem);
    expect(security).toEqual({ sasl: { mechanism: 'scram-sha-512', username: 'registry', password: 'pw' } });
  });

  it("verifies the brokers with the system's CAs when KAFKA_SSL is on without files", () => {
    const readFile = jest.fn(pem);
    expect(kafkaClientSecurity({ ...anonymous, KAFKA_SSL: true }, readFile)).toEqual({ ssl: true, sasl: undefined });
    expect(readFile).not.toHaveBeenCalled();
  });

  it('reads the CA, certificate and key once, naming each variable to the reader', () => {
    const readFile = jest.fn(pem);
    const security = kafkaClientSecurity(
      {
        ...anonymous,
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'monitor',
        KAFKA_SASL_PASSWORD: 'pw',
        KAFKA_SSL: true,
        KAFKA_SSL_CA_FILE: '/etc/kafka/ca.pem',
        KAFKA_SSL_CERT_FILE: '/etc/kafka/client.pem',
        KAFKA_SSL_KEY_FILE: '/etc/kafka/client.key',
      },
      readFile,
    );
    expect(security).toEqual({
      ssl: {
        rejectUnauthorized: true,
        ca: [pem('KAFKA_SSL_CA_FILE', '/etc/kafka/ca.pem')],
        cert: pem('KAFKA_SSL_CERT_FILE', '/etc/kafka/client.pem'),
        key: pem('KAFKA_SSL_KEY_FILE', '/etc/kafka/client.key'),
      },
      sasl: { mechanism: 'plain', username: 'monitor', password: 'pw' },
    });
    expect(readFile).toHaveBeenCalledTimes(3);
  });
});
