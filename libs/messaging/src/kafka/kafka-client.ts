import { Logger, type LoggerService } from '@nestjs/common';
import { Kafka, type KafkaConfig, logLevel as KafkaLogLevel, type logCreator } from 'kafkajs';

export interface KafkaClientOptions {
  /** `host:port` list, or the comma-separated KAFKA_BROKERS value. */
  brokers: string | readonly string[];
  /** Shown in the broker's logs and metrics: the service name. */
  clientId: string;
  /** Where kafkajs' own logs go; defaults to a Nest logger named `Kafka`. */
  logger?: LoggerService;
  /** The most verbose kafkajs level passed on. kafkajs' INFO is chatty (every join, every
   * rebalance), so the default passes warnings and errors only. */
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  ssl?: KafkaConfig['ssl'];
  sasl?: KafkaConfig['sasl'];
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

const HOST_PORT = /^[A-Za-z0-9._-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/;

/** Parses KAFKA_BROKERS; the error names the variable and the bad entry. */
export function parseBrokers(value: string | readonly string[]): string[] {
  const entries = (typeof value === 'string' ? value.split(',') : [...value]).map((b) => b.trim()).filter(Boolean);
  if (entries.length === 0) throw new Error('KAFKA_BROKERS: at least one host:port is required');
  for (const entry of entries) {
    const port = Number(entry.slice(entry.lastIndexOf(':') + 1));
    if (!HOST_PORT.test(entry) || port < 1 || port > 65535) {
      throw new Error(`KAFKA_BROKERS: "${entry}" is not host:port`);
    }
  }
  return entries;
}

/**
 * kafkajs messages that we cause on purpose and that would otherwise alarm whoever reads the
 * logs: the outbox producer limits its retries because the relay retries itself.
 */
const EXPECTED_WARNINGS = ['Limiting retries for the idempotent producer may invalidate EoS guarantees'];

const LEVELS: Record<NonNullable<KafkaClientOptions['logLevel']>, KafkaLogLevel> = {
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
};

/** Routes kafkajs' log entries to a Nest logger (INFO is passed on as debug). */
export function kafkaLogCreator(logger: LoggerService): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...extra } = log;
      const fields = Object.keys(extra).length ? ` ${JSON.stringify(extra)}` : '';
      const text = `${namespace ? `[${namespace}] ` : ''}${message}${fields}`;
      if (level === KafkaLogLevel.ERROR || level === KafkaLogLevel.NOTHING) logger.error(text);
      else if (level === KafkaLogLevel.WARN && !EXPECTED_WARNINGS.includes(message)) logger.warn(text);
      else logger.debug?.(text);
    };
}

export function createKafkaClient(options: KafkaClientOptions): Kafka {
  const logger = options.logger ?? new Logger('Kafka');
  return new Kafka({
    clientId: options.clientId,
    brokers: parseBrokers(options.brokers),
    ssl: options.ssl,
    sasl: options.sasl,
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    logLevel: LEVELS[options.logLevel ?? 'warn'],
    logCreator: kafkaLogCreator(logger),
  });
}
