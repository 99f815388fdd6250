import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type IsolationLevel } from 'typeorm/driver/types/IsolationLevel';

/**
 * The unit of work: a service writes its state and the events that state change causes (through
 * the messaging library's publisher, which appends to the outbox) with the one `manager` it is
 * handed, so they commit or roll back together. Injectable, so that use cases are unit-tested
 * with a fake runner instead of a database.
 */
@Injectable()
export class TransactionRunner {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  run<T>(work: (manager: EntityManager) => Promise<T>, options: { isolationLevel?: IsolationLevel } = {}): Promise<T> {
    return options.isolationLevel ? this.dataSource.transaction(options.isolationLevel, work) : this.dataSource.transaction(work);
  }
}
