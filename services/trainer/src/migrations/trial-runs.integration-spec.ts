import { randomUUID } from 'node:crypto';
import { Client as PgClient, type Notification } from 'pg';
import { commonV1, trainerV1 } from '@flywheel/contracts';
import { createDataSourceOptions, openDataSource } from '@flywheel/persistence';
import { startTestPostgres, type TestPostgres } from '@flywheel/testing';
import { type DataSource } from 'typeorm';
import { TRAINER_ENTITIES, TRAINER_MIGRATIONS } from '../app.module';
import { TypeOrmRunsRepository } from '../runs/runs.repository';
import { TrialRuns1774000000000 } from './1774000000000-trial-runs';

const SEARCH_SPEC = trainerV1.ModelSpec.fromPartial({
  modelName: 'fraud',
  featureView: 'claims-features',
  label: 'is_fraud',
  algorithm: commonV1.Algorithm.ALGORITHM_LOGISTIC_REGRESSION,
  metric: 'accuracy',
  params: { maxIter: { numberValue: 50 } },
  searchSpace: {
    parameters: [{ name: 'C', choices: { values: [{ numberValue: 0.01 }, { numberValue: 1 }] } }],
    strategy: trainerV1.SearchStrategy.SEARCH_STRATEGY_GRID,
  },
});

/** Trials as runs kept them before they were runs: the second from before trials kept their rows. */
const STORED_TRIALS = [
  { params: { maxIter: 50, C: 0.01 }, metricValue: 0.61, rows: 900 },
  { params: { maxIter: 50, C: 1 }, metricValue: 0.83 },
];

describe('trials become child runs (migration, PostgreSQL)', () => {
  let pg: TestPostgres;
  let url: string;
  const open: DataSource[] = [];

  beforeAll(async () => {
    pg = await startTestPostgres();
    url = await pg.createDatabase();
  });

  afterAll(async () => {
    for (const dataSource of open) if (dataSource.isInitialized) await dataSource.destroy();
    await pg?.stop();
  });

  async function database(migrations: readonly unknown[]): Promise<DataSource> {
    const dataSource = await openDataSource(
      createDataSourceOptions({ url, entities: TRAINER_ENTITIES, migrations: [...(migrations as [])], applicationName: 'trainer-test' }),
    );
    open.push(dataSource);
    return dataSource;
  }

  it('moves the trials a search kept as JSON into child runs, lists only the rest by default, and moves them back when undone', async () => {
    const before = TRAINER_MIGRATIONS.filter((migration) => migration !== TrialRuns1774000000000);
    const old = await database(before);
    const search = randomUUID();
    const plain = randomUUID();
    const startedAt = new Date('2026-11-01T10:00:00Z');
    const endedAt = new Date('2026-11-01T10:00:42Z');
    const insert = `INSERT INTO runs (id, model_name, status, trigger, spec, seed, params, metrics, trials, actor_team, created_at, started_at, ended_at)
      VALUES ($1, 'fraud', 'SUCCEEDED', 'RUN_TRIGGER_API', $2, 7, '{}', '{"accuracy": 0.8}', $3, 'risk', $4, $5, $6)`;
    const spec = Buffer.from(trainerV1.ModelSpec.encode(SEARCH_SPEC).finish());
    await old.query(insert, [search, spec, JSON.stringify(STORED_TRIALS), startedAt, startedAt, endedAt]);
    await old.query(insert, [plain, spec, '[]', new Date('2026-11-02T00:00:00Z'), null, null]);
    await old.destroy();

    const migrated = await database(TRAINER_MIGRATIONS);
    const runs = new TypeOrmRunsRepository(migrated);
    const record = (await runs.get(search))!;
    expect(record.trials).toEqual([
      { runId: expect.any(String), params: STORED_TRIALS[0]!.params, metricValue: 0.61, rows: 900 },
      { runId: expect.any(String), params: STORED_TRIALS[1]!.params, metricValue: 0.83, rows: 0 },
    ]);
    expect((await runs.list({}, 0, 10)).map((run) => run.id)).toEqual([plain, search]);
    const children = await runs.list({ parentRunId: search }, 0, 10);
    expect(children.map((child) => child.id)).toEqual(record.trials.map((trial) => trial.runId));
    for (const [i, child] of children.entries()) {
      expect(child).toMatchObject({
        parentRunId: search,
        modelName: 'fraud',
        status: 'SUCCEEDED',
        trigger: trainerV1.RunTrigger.RUN_TRIGGER_API,
        seed: 7,
        params: STORED_TRIALS[i]!.params,
        metrics: { accuracy: STORED_TRIALS[i]!.metricValue },
        actor: { team: 'risk' },
        trials: [],
        startedAt,
        endedAt,
        durationMs: 42_000,
      });
      // The spec that fits the trial again: no search space, the trial's parameters.
      expect(child.spec).toEqual(
        trainerV1.ModelSpec.fromPartial({
          ...SEARCH_SPEC,
          searchSpace: undefined,
          params: { maxIter: { numberValue: 50 }, C: { numberValue: STORED_TRIALS[i]!.params.C } },
        }),
      );
    }

    await migrated.undoLastMigration({ transaction: 'each' });
    const [restored] = (await migrated.query(`SELECT trials FROM runs WHERE id = $1`, [search])) as Array<{ trials: unknown }>;
    expect(restored!.trials).toEqual([STORED_TRIALS[0], { ...STORED_TRIALS[1], rows: null }]);
    expect(await migrated.query(`SELECT count(*)::int AS n FROM runs`)).toEqual([{ n: 2 }]);
  });

  it('wakes the trainers for a queued run, not for the trials a search writes', async () => {
    const dataSource = await database(TRAINER_MIGRATIONS);
    const listener = new PgClient({ connectionString: url });
    await listener.connect();
    const heard: Notification[] = [];
    listener.on('notification', (notification) => heard.push(notification));
    await listener.query('LISTEN "public.runs"');
    try {
      const spec = Buffer.from(trainerV1.ModelSpec.encode(SEARCH_SPEC).finish());
      const search = randomUUID();
      const row = `INSERT INTO runs (id, parent_run_id, trial_number, model_name, status, trigger, spec, seed, created_at)
        VALUES ($1, $2, $3, 'fraud', $4, 'RUN_TRIGGER_API', $5, 1, now())`;
      await dataSource.query(row, [search, null, null, 'SUCCEEDED', spec]);
      await dataSource.query(row, [randomUUID(), search, 1, 'SUCCEEDED', spec]);
      // A round trip on the listening connection delivers what was sent before it.
      await listener.query('SELECT 1');
      expect(heard).toHaveLength(0);
      await dataSource.query(row, [randomUUID(), null, null, 'QUEUED', spec]);
      await listener.query('SELECT 1');
      expect(heard.map((n) => n.channel)).toEqual(['public.runs']);
    } finally {
      await listener.end();
    }
  });
});
