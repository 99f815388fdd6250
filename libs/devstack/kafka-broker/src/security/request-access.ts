import { type KafkaAclOperation, type KafkaAclResource } from '@flywheel/contracts';
import { type KafkaAuthorizer } from './authorizer';

/** What a request handler may ask about its caller. */
export interface RequestAccess {
  /** 'User:<name>', or 'User:ANONYMOUS' on a broker without authentication. */
  readonly principal: string;
  /** Whether the caller may; a refusal is logged (once per connection) unless `quiet`. */
  allows(operation: KafkaAclOperation, resource: KafkaAclResource, name: string, quiet?: boolean): boolean;
  /** Whether the caller may on at least one resource of the type (never logged). */
  allowsAny(operation: KafkaAclOperation, resource: KafkaAclResource): boolean;
}

/** Kafka's principal for unauthenticated connections. */
export const ANONYMOUS_PRINCIPAL = 'User:ANONYMOUS';

/** The anonymous broker: everyone may do everything, as with no authoriser in Kafka. */
export const ALLOW_ALL: RequestAccess = {
  principal: ANONYMOUS_PRINCIPAL,
  allows: () => true,
  allowsAny: () => true,
};

export interface RefusalLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** Bounds the memory a connection spends remembering what it already logged. */
const MAX_REMEMBERED_REFUSALS = 256;

/**
 * One authenticated connection's view of the authoriser. Each refusal is logged once per
 * connection with principal, operation and resource: a client retrying a refused produce
 * every 100 ms would otherwise flood the log.
 */
export class ConnectionAccess implements RequestAccess {
  private readonly logged = new Set<string>();

  constructor(
    private readonly authorizer: KafkaAuthorizer,
    private readonly principalOf: () => string | null,
    private readonly logger: RefusalLogger,
    private readonly clientHost: string,
  ) {}

  get principal(): string {
    const principal = this.principalOf();
    // The connection serves nothing but authentication before this is set.
    if (principal === null) throw new Error('request handled before authentication');
    return principal;
  }

  allows(operation: KafkaAclOperation, resource: KafkaAclResource, name: string, quiet = false): boolean {
    const principal = this.principal;
    if (this.authorizer.authorize(principal, operation, resource, name)) return true;
    const key = `${operation}\u0000${resource}\u0000${name}`;
    if (!quiet && !this.logged.has(key) && this.logged.size < MAX_REMEMBERED_REFUSALS) {
      this.logged.add(key);
      this.logger.warn('kafka request refused', { principal, operation, resource, name, client: this.clientHost });
    }
    return false;
  }

  allowsAny(operation: KafkaAclOperation, resource: KafkaAclResource): boolean {
    return this.authorizer.authorizeAny(this.principal, operation, resource);
  }
}
