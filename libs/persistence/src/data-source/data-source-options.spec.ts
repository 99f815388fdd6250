import { CreateOutbox1760000000000 } from '../outbox/migrations/1760000000000-create-outbox';
import { OutboxParking1760000000001 } from '../outbox/migrations/1760000000001-outbox-parking';
import { OutboxNotify1760000000002 } from '../outbox/migrations/1760000000002-outbox-notify';
import { OutboxMessageEntity } from '../outbox/outbox-message.entity';
import { ProcessedEventEntity } from '../processed-events/processed-event.entity';
import { createDataSourceOptions } from './data-source-options';
import { isTransientConnectionError } from './open-data-source';

class Thing {}
class CreateThings1770000000000 {}

describe('createDataSourceOptions', () => {
  const base = { url: 'postgres://u:p@127.0.0.1:5433/flywheel_registry', entities: [Thing], migrations: [CreateThings1770000000000] };

  it('runs explicit migrations at open and never synchronises', () => {
    const options = createDataSourceOptions(base);
    expect(options).toMatchObject({ type: 'postgres', migrationsRun: true, synchronize: false, url: base.url });
  });

  it('always carries the outbox tables and migrations, once, next to the service’s own', () => {
    const options = createDataSourceOptions({
      ...base,
      entities: [Thing, OutboxMessageEntity],
      migrations: [CreateOutbox1760000000000, CreateThings1770000000000],
    });
    expect(options.entities).toEqual([OutboxMessageEntity, ProcessedEventEntity, Thing]);
    expect(options.migrations).toEqual([
      CreateOutbox1760000000000,
      OutboxParking1760000000001,
      OutboxNotify1760000000002,
      CreateThings1770000000000,
    ]);
  });

  it('bounds the pool and every statement', () => {
    const options = createDataSourceOptions({ ...base, poolSize: 4, statementTimeoutMs: 5_000 });
    expect(options.extra).toMatchObject({ max: 4, statement_timeout: 5_000, idle_in_transaction_session_timeout: 60_000 });
    expect(createDataSourceOptions(base).extra).toMatchObject({ max: 10, statement_timeout: 30_000 });
  });

  it('keeps an idle connection longer than the idle loops sleep, so that they do not reconnect each time', () => {
    expect(createDataSourceOptions(base).extra).toMatchObject({ idleTimeoutMillis: 120_000 });
    expect(createDataSourceOptions({ ...base, idleConnectionTimeoutMs: 5_000 }).extra).toMatchObject({ idleTimeoutMillis: 5_000 });
  });

  it('puts a schema first on the search path and refuses an unsafe one', () => {
    expect(createDataSourceOptions({ ...base, schema: 'registry' })).toMatchObject({
      schema: 'registry',
      extra: { options: '-c search_path=registry' },
    });
    expect(() => createDataSourceOptions({ ...base, schema: 'x"; drop' })).toThrow(/^schema: /);
  });
});

describe('isTransientConnectionError', () => {
  it('retries a server that is not up yet, not a failed migration', () => {
    expect(isTransientConnectionError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransientConnectionError(Object.assign(new Error('starting'), { code: '57P03' }))).toBe(true);
    expect(isTransientConnectionError(Object.assign(new Error('syntax'), { code: '42601' }))).toBe(false);
    expect(isTransientConnectionError(null)).toBe(false);
  });
});
