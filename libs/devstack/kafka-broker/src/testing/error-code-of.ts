import { type ErrorCode, KafkaProtocolError } from '../protocol/error-codes';

/** The Kafka error code `action` fails with; fails the test if it throws anything else or nothing. */
export function errorCodeOf(action: () => unknown): ErrorCode {
  try {
    action();
  } catch (error) {
    if (error instanceof KafkaProtocolError) return error.code;
    throw error;
  }
  throw new Error('expected a KafkaProtocolError');
}
