import { createHash } from 'node:crypto';
import { commonV1 } from '@flywheel/contracts';
import { parseCsv } from '@flywheel/ml';
import { type Contract } from './dataset-contract';
import { computeTransfer, runComputeTask } from './ingestion-compute';
import { buildFromStaged, buildVersionFile, splitStaged } from './version-file';

const { ColumnType } = commonV1;

const contract: Contract = {
  columns: [
    { name: 'id', type: ColumnType.COLUMN_TYPE_STRING, required: true, min: null, max: null, allowedValues: [], description: '' },
    { name: 'amount', type: ColumnType.COLUMN_TYPE_DOUBLE, required: false, min: null, max: null, allowedValues: [], description: '' },
    { name: 'fraud', type: ColumnType.COLUMN_TYPE_BOOLEAN, required: false, min: null, max: null, allowedValues: [], description: '' },
    { name: 'note', type: ColumnType.COLUMN_TYPE_STRING, required: false, min: null, max: null, allowedValues: [], description: '' },
    { name: 'at', type: ColumnType.COLUMN_TYPE_TIMESTAMP, required: true, min: null, max: null, allowedValues: [], description: '' },
  ],
  uniqueKey: [],
  eventTimeColumn: 'at',
};

const rows = [
  { id: 'a', amount: 1, fraud: true, note: null, at: '2025-01-01T00:00:02.000Z' },
  { id: 'b, "quoted"', amount: 2, fraud: false, note: null, at: '2025-01-01T00:00:00.000Z' },
  { id: 'c', amount: null, fraud: true, note: null, at: '2025-01-01T00:00:01.000Z' },
  { id: 'd', amount: 6, fraud: true, note: null, at: '2025-01-01T00:00:03.000Z' },
];

describe('version file', () => {
  it('writes the records as CSV in contract order that reads back to the same values', () => {
    const { body } = buildVersionFile(contract, rows);
    const text = body.toString('utf8');
    expect(text.split('\n')[0]).toBe('id,amount,fraud,note,at');
    expect(text.split('\n')[2]).toBe('"b, ""quoted""",2,false,,2025-01-01T00:00:00.000Z');
    const table = parseCsv(body, { schema: { amount: 'numeric', id: 'categorical' } });
    expect(table.nRows).toBe(4);
  });

  it('carries the sha256 of the CSV it wrote, for the object store to take as it is', () => {
    const { body, sha256 } = buildVersionFile(contract, rows);
    expect(sha256).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('profiles each column for the contract: sample std, 21 quantiles, categories by frequency, nulls counted', () => {
    const { profile } = buildVersionFile(contract, rows);
    expect(profile.rowCount).toBe(4);
    const amount = profile.columns[1]!;
    expect(amount).toMatchObject({ name: 'amount', count: 3, nullCount: 1, numeric: { min: 1, max: 6, mean: 3 } });
    // values 1, 2, 6: sample variance ((4 + 1 + 9) / 2) = 7
    expect(amount.numeric!.std).toBeCloseTo(Math.sqrt(7), 12);
    expect(amount.numeric!.quantiles).toHaveLength(21);
    expect(profile.columns[2]).toMatchObject({
      count: 4,
      categorical: {
        distinctCount: 2,
        topValues: [
          { value: 'true', count: 3 },
          { value: 'false', count: 1 },
        ],
        otherCount: 0,
      },
    });
    expect(profile.columns[3]).toEqual({ name: 'note', type: ColumnType.COLUMN_TYPE_STRING, count: 0, nullCount: 4 });
    expect(profile.columns[4]!.numeric!.min).toBe(Date.parse('2025-01-01T00:00:00.000Z'));
  });

  it('records the event-time range as [earliest, latest + 1 ms)', () => {
    expect(buildVersionFile(contract, rows).eventTimeRange).toEqual({
      start: new Date('2025-01-01T00:00:00.000Z'),
      end: new Date('2025-01-01T00:00:03.001Z'),
    });
    expect(buildVersionFile({ ...contract, eventTimeColumn: '' }, rows).eventTimeRange).toBeNull();
  });

  // The stored form is read digit by digit, anything else by Date.parse: both must agree with it.
  it.each(['2025-01-01T00:00:03.001Z', '0099-12-31T23:59:59.999Z', '2025-01-01T00:00:00Z'])(
    'reads the instant %s as Date.parse does',
    (at) => {
      const { profile } = buildVersionFile(contract, [{ ...rows[0]!, at }]);
      expect(profile.columns[4]!.numeric!.min).toBe(Date.parse(at));
    },
  );
});

describe('splitStaged', () => {
  // Strings holding every character that matters to the scan: separators, brackets, quotes, escapes.
  const records = [
    { id: 'a,b', note: '}]' },
    { id: '"q"', note: '\\' },
    { id: '[{,', note: '\\"' },
    { id: 'd', note: null },
  ];
  const staged = ` [ ${records.map((r) => ` ${JSON.stringify(r, null, 1)} `).join(' , ')} ] `;

  it.each([0, 1, 2, 3, 4, 9])('cuts after the first %i records, both parts staged texts again', (count) => {
    const { head, rest } = splitStaged(staged, count);
    expect(JSON.parse(head)).toEqual(records.slice(0, count));
    expect(JSON.parse(rest)).toEqual(records.slice(count));
  });

  it('gives a version the head of a split batch from its skip', () => {
    const { head } = splitStaged(JSON.stringify(rows), 3);
    const built = buildFromStaged(contract, { staged: [head], skip: 1, limit: 5 });
    expect(built.rowCount).toBe(2);
    expect(
      built.file.body
        .toString('utf8')
        .split('\n')
        .slice(1, 3)
        .map((line) => line.split(',')[0]),
    ).toEqual(['"b', 'c']);
  });

  it('hands back a file in memory of its own, which moves from the compute thread instead of being copied', () => {
    const staged = [Buffer.from(JSON.stringify(rows))];
    const built = runComputeTask({ kind: 'build', contract, staged, skip: 0, limit: rows.length });
    if (!('file' in built)) throw new Error('a build gives a version');
    const { body } = built.file;
    expect(computeTransfer(built)).toEqual([body.buffer]);
    expect([body.byteOffset, body.buffer.byteLength]).toEqual([0, body.byteLength]);
  });
});
