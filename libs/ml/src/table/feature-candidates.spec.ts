import { defaultFeatures } from './feature-candidates';
import { categoricalColumn, makeTable, numericColumn } from './table';

const n = 40;
const rows = Array.from({ length: n }, (_, i) => i);

describe('defaultFeatures', () => {
  it('leaves out identifiers and timestamps, each with its reason, and keeps the rest in order', () => {
    const table = makeTable([
      categoricalColumn(
        'claim_id',
        rows.map((i) => `c-${i}`),
      ),
      numericColumn(
        'row_number',
        Float64Array.from(rows, (i) => 1000 + i),
      ),
      categoricalColumn(
        'filed_at',
        rows.map((i) => (i === 3 ? null : `2025-01-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z`)),
      ),
      categoricalColumn(
        'day',
        rows.map((i) => `2025-02-${String(1 + (i % 9)).padStart(2, '0')}`),
      ),
      categoricalColumn(
        'email',
        rows.map((i) => `u${i % 30}@example.com`),
      ),
      numericColumn(
        'amount',
        Float64Array.from(rows, (i) => 10.5 + i),
      ),
      numericColumn(
        'items',
        Float64Array.from(rows, (i) => i % 4),
      ),
      categoricalColumn(
        'channel',
        rows.map((i) => (i % 2 ? 'web' : 'phone')),
      ),
      numericColumn(
        'fraud',
        Float64Array.from(rows, (i) => i % 2),
      ),
    ]);
    expect(defaultFeatures(table, 'fraud')).toEqual({
      features: ['amount', 'items', 'channel'],
      excluded: [
        { name: 'claim_id', reason: 'text unique per row, like an identifier' },
        { name: 'row_number', reason: 'whole numbers unique per row, like an identifier' },
        { name: 'filed_at', reason: 'timestamps' },
        { name: 'day', reason: 'timestamps' },
        { name: 'email', reason: '30 distinct values in 40 rows, like an identifier' },
      ],
    });
  });

  it('judges no identifier on too few rows, and never the label', () => {
    const few = makeTable([
      categoricalColumn('name', ['a', 'b', 'c']),
      numericColumn('id', Float64Array.from([1, 2, 3])),
      categoricalColumn('when', ['2025-01-01', null, '2025-01-03']),
      categoricalColumn('label', ['2025-01-01', '2025-01-02', '2025-01-03']),
    ]);
    expect(defaultFeatures(few, 'label')).toEqual({ features: ['name', 'id'], excluded: [{ name: 'when', reason: 'timestamps' }] });
  });
});
