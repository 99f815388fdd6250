import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import { type Server } from '@grpc/grpc-js';

/** The name `grpc.health.v1` clients ask about to learn whether the server as a whole serves. */
export const OVERALL_HEALTH = '';

/**
 * `grpc.health.v1.Health` for the whole server ("") and each gRPC service it hosts. Everything
 * reads NOT_SERVING until the application says it is ready, and again once shutdown begins.
 */
export class GrpcHealth {
  private readonly implementation = new HealthImplementation({ [OVERALL_HEALTH]: 'NOT_SERVING' });
  private readonly services = new Set<string>([OVERALL_HEALTH]);
  private current: ServingStatus = 'NOT_SERVING';

  get status(): ServingStatus {
    return this.current;
  }

  get serviceNames(): string[] {
    return [...this.services];
  }

  addServices(names: Iterable<string>): void {
    for (const name of names) {
      this.services.add(name);
      this.implementation.setStatus(name, this.current);
    }
  }

  setServing(): void {
    this.setAll('SERVING');
  }

  setNotServing(): void {
    this.setAll('NOT_SERVING');
  }

  addToServer(server: Pick<Server, 'addService'>): void {
    this.implementation.addToServer(server);
  }

  private setAll(status: ServingStatus): void {
    this.current = status;
    for (const name of this.services) this.implementation.setStatus(name, status);
  }
}
