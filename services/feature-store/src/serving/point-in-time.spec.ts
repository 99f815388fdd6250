import fc from 'fast-check';
import { historyOf } from '../testing/feature-history';
import { asOfJoin, compareRecords, type FeatureRecord, latestPerEntity } from './point-in-time';

interface SpineRow {
  readonly entityKey: string;
  readonly timestamp: Date;
}

/** The join's matches as the records they point at. */
function pointInTimeJoin(spine: readonly SpineRow[], history: readonly FeatureRecord[]): Array<FeatureRecord | null> {
  const { records } = joinOf(spine, history);
  return Array.from(records, (m) => (m === -1 ? null : history[m]));
}

function joinOf(spine: readonly SpineRow[], history: readonly FeatureRecord[]) {
  return asOfJoin(
    spine.map((row) => row.entityKey),
    Float64Array.from(spine, (row) => row.timestamp.getTime()),
    historyOf(history),
  );
}

const BASE = Date.UTC(2025, 0, 1);
const ENTITIES = ['a', 'b', 'c', 'd'];

/**
 * Histories as ingestion produces them: dataset versions committed one after another, each
 * holding records whose event times are anywhere in the window — so a later version often
 * carries records older than ones already stored (late arrivals), and equal event times happen.
 */
function historyOver(entities: readonly string[], maxRecordsPerVersion: number, maxVersions: number) {
  const recordArb = fc.record({
    entity: fc.constantFrom(...entities),
    minute: fc.integer({ min: 0, max: 60 }),
    amount: fc.integer({ min: -5, max: 5 }),
  });
  return fc.array(fc.array(recordArb, { maxLength: maxRecordsPerVersion }), { maxLength: maxVersions }).map((versions) =>
    versions.flatMap((records, v) =>
      records.map((r, rowIndex): FeatureRecord => ({
        entityKey: r.entity,
        eventTime: new Date(BASE + r.minute * 60_000),
        datasetVersion: v + 1,
        rowIndex,
        values: { amount: r.amount, id: `${v + 1}:${rowIndex}` },
      })),
    ),
  );
}

const historyArb = historyOver(ENTITIES, 15, 6);

const spineArb = fc
  .array(
    fc.record({
      entityKey: fc.constantFrom(...ENTITIES, 'unknown'),
      minute: fc.integer({ min: -5, max: 65 }),
      jitterMs: fc.constantFrom(0, -1, 1),
    }),
    { maxLength: 30 },
  )
  .map((rows) => rows.map((r): SpineRow => ({ entityKey: r.entityKey, timestamp: new Date(BASE + r.minute * 60_000 + r.jitterMs) })));

/** The definition, literally: every record of the entity at or before the timestamp; the greatest wins. */
function bruteForceAsOf(spine: readonly SpineRow[], history: readonly FeatureRecord[]): Array<FeatureRecord | null> {
  return spine.map((row) => {
    let best: FeatureRecord | null = null;
    for (const record of history) {
      if (record.entityKey !== row.entityKey || record.eventTime.getTime() > row.timestamp.getTime()) continue;
      if (!best || compareRecords(record, best) > 0) best = record;
    }
    return best;
  });
}

describe('point-in-time join', () => {
  it('never returns a value stamped after its row, and equals a brute-force as-of join, late arrivals included', () => {
    fc.assert(
      fc.property(historyArb, spineArb, fc.boolean(), (history, spine, shuffle) => {
        // Store order must not matter: the offline store returns rows in no particular order.
        const stored = shuffle ? [...history].reverse() : history;
        const joined = pointInTimeJoin(spine, stored);
        expect(joined).toHaveLength(spine.length);
        joined.forEach((record, i) => {
          if (record) {
            expect(record.entityKey).toBe(spine[i].entityKey);
            expect(record.eventTime.getTime()).toBeLessThanOrEqual(spine[i].timestamp.getTime());
          }
        });
        expect(joined).toEqual(bruteForceAsOf(spine, history));
      }),
      { numRuns: 500 },
    );
  });

  it('equals a brute-force as-of join when most entities have one record, as in a dataset spine', () => {
    const manyEntities = Array.from({ length: 40 }, (_, i) => `e${i}`);
    const historyOfMany = historyOver(manyEntities, 20, 3);
    const spineOfMany = fc.array(
      fc.record({ entityKey: fc.constantFrom(...manyEntities, 'unknown'), minute: fc.integer({ min: -5, max: 65 }) }),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(historyOfMany, spineOfMany, (history, rows) => {
        // The history's own records as spine rows (a dataset spine), then rows anywhere in time.
        const spine: SpineRow[] = [
          ...history.map((record) => ({ entityKey: record.entityKey, timestamp: record.eventTime })),
          ...rows.map((r) => ({ entityKey: r.entityKey, timestamp: new Date(BASE + r.minute * 60_000) })),
        ];
        expect(pointInTimeJoin(spine, history)).toEqual(bruteForceAsOf(spine, history));
      }),
      { numRuns: 500 },
    );
  });

  it("codes each row's entity by a history record of that entity, one code per entity, -1 when it has none", () => {
    fc.assert(
      fc.property(historyArb, spineArb, (history, spine) => {
        const { entities } = joinOf(spine, history);
        const codeOf = new Map<string, number>();
        spine.forEach((row, i) => {
          const known = history.some((record) => record.entityKey === row.entityKey);
          expect(entities[i] === -1).toBe(!known);
          if (!known) return;
          expect(history[entities[i]].entityKey).toBe(row.entityKey);
          expect(entities[i]).toBe(codeOf.get(row.entityKey) ?? entities[i]);
          codeOf.set(row.entityKey, entities[i]);
        });
      }),
    );
  });

  it('picks a late-arriving record over an earlier one only when its event time is within the row', () => {
    const record = (minute: number, datasetVersion: number, amount: number): FeatureRecord => ({
      entityKey: 'a',
      eventTime: new Date(BASE + minute * 60_000),
      datasetVersion,
      rowIndex: 0,
      values: { amount },
    });
    // v1 has 10:00 and 12:00; v2 arrives later with 11:00 (late) and 13:00 (future of the 12:30 row).
    const history = [record(0, 1, 1), record(120, 1, 2), record(60, 2, 3), record(180, 2, 4)];
    const at = (minute: number): SpineRow => ({ entityKey: 'a', timestamp: new Date(BASE + minute * 60_000) });
    expect(pointInTimeJoin([at(-1), at(30), at(90), at(150), at(200)], history).map((r) => r?.values.amount ?? null)).toEqual([
      null,
      1,
      3,
      2,
      4,
    ]);
  });

  it('keeps the latest record per entity of a batch, by event time, then version, then row', () => {
    fc.assert(
      fc.property(historyArb, (history) => {
        const latest = latestPerEntity(history);
        expect(new Set(latest.map((r) => r.entityKey)).size).toBe(latest.length);
        for (const record of history) {
          const kept = latest.find((r) => r.entityKey === record.entityKey)!;
          expect(compareRecords(kept, record)).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });
});
