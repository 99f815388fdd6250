import { startTestPostgres, type TestPostgres, waitFor } from '@flywheel/testing';
import { Column, type DataSource, Entity, type MigrationInterface, PrimaryColumn, type QueryRunner } from 'typeorm';
import { createDataSourceOptions } from '../data-source/data-source-options';
import { openDataSource } from '../data-source/open-data-source';
import { notifyOnChangeSql } from './notify-on-change';
import { PgTableChanges } from './pg-table-changes';

@Entity({ name: 'jobs' })
class JobRow {
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ type: 'text' }) state!: string;
}

class CreateJobs1770000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE jobs (id text PRIMARY KEY, state text NOT NULL)`);
    await queryRunner.query(notifyOnChangeSql('jobs'));
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE jobs`);
  }
}

jest.setTimeout(60_000);

describe('table changes over LISTEN/NOTIFY (PostgreSQL)', () => {
  let pg: TestPostgres;
  const open: DataSource[] = [];
  const listeners: PgTableChanges[] = [];

  beforeAll(async () => {
    pg = await startTestPostgres();
  });

  afterEach(async () => {
    await Promise.all(listeners.splice(0).map((l) => l.close()));
    await Promise.all(open.splice(0).map((d) => d.destroy()));
  });

  afterAll(async () => {
    await pg?.stop();
  });

  async function database(url: string, schema?: string): Promise<DataSource> {
    const dataSource = await openDataSource(
      createDataSourceOptions({ url, schema, entities: [JobRow], migrations: [CreateJobs1770000000000], applicationName: 'jobs-test' }),
    );
    open.push(dataSource);
    return dataSource;
  }

  function listenerOf(dataSource: DataSource): PgTableChanges {
    const changes = new PgTableChanges(PgTableChanges.configOf(dataSource));
    listeners.push(changes);
    return changes;
  }

  const listenerBackends = async (dataSource: DataSource) =>
    (await dataSource.query(`SELECT pid FROM pg_stat_activity WHERE application_name = 'jobs-test (listener)'`)) as Array<{ pid: number }>;

  it('hears each commit of another connection once it commits, in its own schema only, and nothing of a rollback', async () => {
    const url = await pg.createDatabase();
    const [listened, writer, elsewhere] = [await database(url, 'team_a'), await database(url, 'team_a'), await database(url, 'team_b')];
    const changes = listenerOf(listened);
    let heard = 0;
    changes.onChange('jobs', () => heard++);
    await waitFor(async () => heard === 1, 5_000, 'the first announcement once listening');

    await elsewhere.query(`INSERT INTO jobs VALUES ('b-1', 'queued')`);
    await expect(
      writer.transaction(async (manager) => {
        await manager.query(`INSERT INTO jobs VALUES ('a-0', 'queued')`);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await writer.transaction(async (manager) => {
      await manager.query(`INSERT INTO jobs VALUES ('a-1', 'queued')`);
      await manager.query(`UPDATE jobs SET state = 'running' WHERE id = 'a-1'`);
    });
    await waitFor(async () => heard === 2, 5_000, 'the committed change');
    await new Promise((r) => setTimeout(r, 300));
    // One transaction, one announcement; the other schema's and the rolled-back one, none.
    expect(heard).toBe(2);
  });

  it('listens again after its connection is lost, and tells its listeners a change may have been missed', async () => {
    const url = await pg.createDatabase();
    const [listened, writer] = [await database(url), await database(url)];
    const changes = listenerOf(listened);
    let heard = 0;
    changes.onChange('jobs', () => heard++);
    await waitFor(async () => heard === 1 && (await listenerBackends(writer)).length === 1, 5_000, 'listening');

    await writer.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'jobs-test (listener)'`);
    await waitFor(async () => heard === 2, 10_000, 'the announcement after reconnecting');
    await writer.query(`INSERT INTO jobs VALUES ('after', 'queued')`);
    await waitFor(async () => heard === 3, 5_000, 'a change after reconnecting');
  });

  it('keeps its connection only while someone listens', async () => {
    const url = await pg.createDatabase();
    const [listened, observer] = [await database(url), await database(url)];
    const changes = listenerOf(listened);
    const stop = changes.onChange('jobs', () => undefined);
    await waitFor(async () => (await listenerBackends(observer)).length === 1, 5_000, 'the listener connection');
    stop();
    await waitFor(async () => (await listenerBackends(observer)).length === 0, 5_000, 'the listener connection closed');
  });
});
