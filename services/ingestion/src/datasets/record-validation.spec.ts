import { commonV1, ingestionV1 } from '@flywheel/contracts';
import { type Contract, DEFAULT_MAX_RECORD_BYTES, DEFAULT_MAX_VALUE_BYTES } from './dataset-contract';
import {
  canonicalInstantMillis,
  contentHash,
  MAX_NESTING_DEPTH,
  nestingDepth,
  parseRfc3339,
  rawText,
  uniqueKeyOf,
  validateIncoming,
  validateRecord,
} from './record-validation';
import { decodeRowValues } from './row-decoder';
import { rowToObject } from '../testing/row-values';

const { ColumnType } = commonV1;
const { ViolationCode } = ingestionV1;

const contract: Contract = {
  columns: [
    { name: 'id', type: ColumnType.COLUMN_TYPE_STRING, required: true, min: null, max: null, allowedValues: [], description: '' },
    { name: 'amount', type: ColumnType.COLUMN_TYPE_DOUBLE, required: true, min: 0, max: 100, allowedValues: [], description: '' },
    { name: 'items', type: ColumnType.COLUMN_TYPE_INTEGER, required: false, min: 1, max: null, allowedValues: [], description: '' },
    {
      name: 'channel',
      type: ColumnType.COLUMN_TYPE_STRING,
      required: false,
      min: null,
      max: null,
      allowedValues: ['web', 'phone'],
      description: '',
    },
    { name: 'fraud', type: ColumnType.COLUMN_TYPE_BOOLEAN, required: false, min: null, max: null, allowedValues: [], description: '' },
    { name: 'at', type: ColumnType.COLUMN_TYPE_TIMESTAMP, required: true, min: null, max: null, allowedValues: [], description: '' },
  ],
  uniqueKey: ['id'],
  eventTimeColumn: 'at',
};

const good = { id: 'a', amount: 12.5, items: 2, channel: 'web', fraud: false, at: '2025-03-01T10:00:00+02:00' };

describe('record validation', () => {
  it('accepts a valid record, normalising the event time to UTC and filling absent optional columns with null', () => {
    const result = validateRecord(contract, { id: 'a', amount: 1, at: '2025-03-01T10:00:00+02:00' });
    expect(result).toEqual({
      ok: true,
      values: { id: 'a', amount: 1, items: null, channel: null, fraud: null, at: '2025-03-01T08:00:00.000Z' },
      json: '{"id":"a","amount":1,"items":null,"channel":null,"fraud":null,"at":"2025-03-01T08:00:00.000Z"}',
      asReceived: false,
    });
  });

  it('stages a record that needed no change as the very text received, and a normalised one as its values', () => {
    const received = '{ "id": "a", "amount": 1.50, "at": "2025-03-01T08:00:00.000Z" }';
    const asIs = validateIncoming(contract, { kind: 'json', bytes: Buffer.from(received) });
    expect(asIs.ok && asIs.json).toBe(received);
    expect(asIs.ok && asIs.asReceived).toBe(true);
    const shifted = validateIncoming(contract, {
      kind: 'json',
      bytes: Buffer.from('{"id":"a","amount":1.5,"at":"2025-03-01T10:00:00+02:00"}'),
    });
    expect(shifted.ok && JSON.parse(shifted.json)).toEqual({ id: 'a', amount: 1.5, at: '2025-03-01T08:00:00.000Z' });
    expect(shifted.ok && shifted.asReceived).toBe(false);
    // Either way the staged text reads back as the values (an absent column as null).
    for (const result of [asIs, shifted]) {
      if (!result.ok) throw new Error('expected a valid record');
      const staged = JSON.parse(result.json) as Record<string, unknown>;
      for (const column of contract.columns) expect(staged[column.name] ?? null).toEqual(result.values[column.name] ?? null);
    }
  });

  it.each([
    ['2024-02-29T23:59:59.999Z', '2024-02-29T23:59:59.999Z'],
    ['2023-02-29T00:00:00.000Z', null],
    ['2025-13-01T00:00:00.000Z', null],
    ['2025-01-01T24:00:00.000Z', null],
    ['2025-01-01t00:00:00.000z', '2025-01-01T00:00:00.000Z'],
    ['2025-01-01T00:00:00Z', '2025-01-01T00:00:00.000Z'],
  ])('stores the instant %s as %s (canonical texts are kept, others normalised or refused)', (at, stored) => {
    const result = validateRecord(contract, { ...good, at });
    expect(result.ok ? result.values.at : null).toBe(stored);
  });

  it('reports every broken rule with its field, code and a reason people can read', () => {
    const result = validateRecord(contract, { amount: 250, items: 1.5, channel: 'fax', fraud: 'yes', at: 'yesterday', extra: 1 });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.violations).toEqual([
      { field: 'extra', code: ViolationCode.VIOLATION_CODE_UNKNOWN_COLUMN, message: 'extra: is not a column of the contract' },
      { field: 'id', code: ViolationCode.VIOLATION_CODE_MISSING_REQUIRED, message: 'id: is required' },
      { field: 'amount', code: ViolationCode.VIOLATION_CODE_OUT_OF_RANGE, message: 'amount: 250 is above max 100' },
      { field: 'items', code: ViolationCode.VIOLATION_CODE_WRONG_TYPE, message: 'items: 1.5 is not an integer' },
      { field: 'channel', code: ViolationCode.VIOLATION_CODE_NOT_ALLOWED, message: 'channel: "fax" is not one of "web", "phone"' },
      { field: 'fraud', code: ViolationCode.VIOLATION_CODE_WRONG_TYPE, message: 'fraud: "yes" is not a boolean' },
      { field: 'at', code: ViolationCode.VIOLATION_CODE_WRONG_TYPE, message: 'at: "yesterday" is not an RFC 3339 timestamp' },
    ]);
  });

  it('checks the lower bound and treats an explicit null as missing', () => {
    const result = validateRecord(contract, { ...good, amount: -1, items: 0, id: null });
    expect(!result.ok && result.violations.map((v) => [v.field, v.code])).toEqual([
      ['id', ViolationCode.VIOLATION_CODE_MISSING_REQUIRED],
      ['amount', ViolationCode.VIOLATION_CODE_OUT_OF_RANGE],
      ['items', ViolationCode.VIOLATION_CODE_OUT_OF_RANGE],
    ]);
  });

  it.each([
    ['{"id": ', 'not valid JSON'],
    ['[1, 2]', 'must be a JSON object, got an array'],
    ['null', 'must be a JSON object, got null'],
    ['"text"', 'must be a JSON object, got string'],
  ])('quarantines %s as MALFORMED', (text, reason) => {
    const result = validateIncoming(contract, { kind: 'json', bytes: Buffer.from(text, 'utf8') });
    expect(!result.ok && result.violations).toEqual([
      { field: '', code: ViolationCode.VIOLATION_CODE_MALFORMED, message: expect.stringContaining(reason) },
    ]);
  });

  it('reads gRPC rows, including timestamps and explicit nulls, and renders them as JSON for the quarantine', () => {
    const row: commonV1.Row = {
      values: {
        id: { stringValue: 'a' },
        amount: { numberValue: 3 },
        at: { timestampValue: new Date('2025-01-01T00:00:00Z') },
        channel: {},
      },
    };
    const values = () => decodeRowValues(commonV1.Row.encode(row).finish());
    expect(validateIncoming(contract, { kind: 'values', values: values() })).toMatchObject({
      ok: true,
      values: { id: 'a', amount: 3, channel: null, at: '2025-01-01T00:00:00.000Z' },
    });
    expect(JSON.parse(rawText({ kind: 'values', values: values() }))).toEqual({
      id: 'a',
      amount: 3,
      at: '2025-01-01T00:00:00.000Z',
      channel: null,
    });
  });

  it('keys records by their unique key and hashes their content so a redelivery is told from a conflict', () => {
    const a = validateRecord(contract, good);
    const b = validateRecord(contract, { ...good, amount: 13 });
    if (!a.ok || !b.ok) throw new Error('expected valid records');
    expect(uniqueKeyOf(contract, a.values)).toBe('["a"]');
    expect(uniqueKeyOf({ ...contract, uniqueKey: [] }, a.values)).toBeNull();
    expect(contentHash(contract, a.values)).toBe(contentHash(contract, { ...a.values }));
    expect(contentHash(contract, a.values)).not.toBe(contentHash(contract, b.values));
  });
});

describe('hostile records are quarantined with a reason, never thrown', () => {
  const column = (name: string, type: Contract['columns'][number]['type'], required = false) => ({
    name,
    type,
    required,
    min: null,
    max: null,
    allowedValues: [],
    description: '',
  });
  const contract: Contract = {
    columns: [
      column('id', ColumnType.COLUMN_TYPE_STRING, true),
      column('at', ColumnType.COLUMN_TYPE_TIMESTAMP),
      column('amount', ColumnType.COLUMN_TYPE_DOUBLE),
    ],
    uniqueKey: ['id'],
    eventTimeColumn: '',
  };
  const json = (value: string | Buffer) =>
    validateIncoming(contract, { kind: 'json', bytes: Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8') });
  const reasons = (result: ReturnType<typeof json>) =>
    result.ok ? [] : result.violations.map((v) => `${ViolationCode[v.code]} ${v.message}`);

  it.each([
    ['a \\u0000 escape in a string', '{"id": "a\\u0000b"}', 'VIOLATION_CODE_MALFORMED id: contains a NUL character'],
    ['a lone surrogate', '{"id": "a\\ud800b"}', 'VIOLATION_CODE_MALFORMED id: contains a lone UTF-16 surrogate'],
    [
      '30 February',
      '{"id": "a", "at": "2026-02-30T00:00:00Z"}',
      'VIOLATION_CODE_WRONG_TYPE at: "2026-02-30T00:00:00Z" is not an RFC 3339 timestamp',
    ],
    ['hour 24', '{"id": "a", "at": "2026-01-01T24:00:00Z"}', 'is not an RFC 3339 timestamp'],
    // In the stored form's shape but for a sign among the year's digits.
    [
      'a year with a sign',
      '{"id": "a", "at": "-025-01-01T00:00:00.000Z"}',
      'VIOLATION_CODE_WRONG_TYPE at: "-025-01-01T00:00:00.000Z" is not an RFC 3339 timestamp',
    ],
    ['an offset of 25 hours', '{"id": "a", "at": "2026-01-01T10:00:00+25:00"}', 'is not an RFC 3339 timestamp'],
    ['1e999', '{"id": "a", "amount": 1e999}', 'VIOLATION_CODE_WRONG_TYPE amount: Infinity is not a finite number'],
    ['a raw NUL byte', '{"id": "a"}\u0000', 'VIOLATION_CODE_MALFORMED not valid JSON'],
  ])('%s', (_name, text, reason) => {
    expect(reasons(json(text)).join('\n')).toContain(reason);
  });

  it('accepts real calendar dates, leap days included', () => {
    expect(json('{"id": "a", "at": "2024-02-29T23:59:59.123+05:30"}')).toMatchObject({
      ok: true,
      values: { at: '2024-02-29T18:29:59.123Z' },
    });
    expect(parseRfc3339('2023-02-29T00:00:00Z')).toBeNull();
    expect(parseRfc3339('2000-02-29T00:00:00Z')).toBe(Date.UTC(2000, 1, 29));
    expect(parseRfc3339('1900-02-29T00:00:00Z')).toBeNull();
  });

  it('refuses invalid UTF-8 instead of storing U+FFFD, and keeps the quarantined text storable', () => {
    const bytes = Buffer.concat([Buffer.from('{"id": "a'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(reasons(json(bytes))).toEqual(['VIOLATION_CODE_MALFORMED not valid UTF-8']);
    expect(rawText({ kind: 'json', bytes: Buffer.from('{"id": "a"}\u0000') })).toBe('{"id": "a"}\u2400');
  });

  it('refuses deep nesting before parsing it, without recursion', () => {
    const deep = `{"id": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(nestingDepth(deep)).toBe(100_001);
    expect(reasons(json(deep))).toEqual([`VIOLATION_CODE_MALFORMED nested deeper than ${MAX_NESTING_DEPTH} levels`]);
    expect(nestingDepth('{"id": "[[[[{{{{"}')).toBe(1);
  });

  it("refuses records and values beyond the contract's limits (1 MiB and 64 KiB unless set) and unique keys beyond the index limit", () => {
    expect(reasons(json(`{"id": "${'x'.repeat(DEFAULT_MAX_RECORD_BYTES)}"}`))).toEqual([
      expect.stringMatching(/^VIOLATION_CODE_MALFORMED the record is \d+ bytes, more than the contract's max_record_bytes \(1048576\)$/),
    ]);
    const small = { ...contract, maxRecordBytes: 200, maxValueBytes: 20 };
    const fine = { id: 'a', amount: 1, at: good.at };
    expect(reasons(validateIncoming(small, { kind: 'json', bytes: Buffer.from(JSON.stringify(fine)) }))).toEqual([]);
    expect(
      reasons(validateIncoming(small, { kind: 'json', bytes: Buffer.from(JSON.stringify({ ...fine, id: 'x'.repeat(300) })) })),
    ).toEqual([
      expect.stringMatching(/^VIOLATION_CODE_MALFORMED the record is 3\d\d bytes, more than the contract's max_record_bytes \(200\)$/),
    ]);
    // Measured in UTF-8 bytes: seven 'é' are 14 bytes, eleven are 22.
    expect(reasons(validateRecord(small, { ...fine, id: 'é'.repeat(7) }))).toEqual([]);
    expect(reasons(validateRecord(small, { ...fine, id: 'é'.repeat(11) }))).toEqual([
      "VIOLATION_CODE_OUT_OF_RANGE id: the value is 22 bytes, more than the contract's max_value_bytes (20)",
    ]);
    // A gRPC Row is measured as its JSON text.
    const row = { values: { id: { stringValue: 'y'.repeat(250) }, amount: { numberValue: 1 }, at: { stringValue: good.at } } };
    // Its message's size bounds the text: a small message is not measured, a large one is.
    const encodedBytes = commonV1.Row.encode(row).finish().byteLength;
    expect(reasons(validateIncoming(small, { kind: 'values', values: rowToObject(row), encodedBytes }))).toEqual([
      expect.stringMatching(/^VIOLATION_CODE_MALFORMED the record is \d+ bytes/),
    ]);
    const fits = { values: { id: { stringValue: 'y'.repeat(10) }, amount: { numberValue: 1 }, at: { stringValue: good.at } } };
    const fitsBytes = commonV1.Row.encode(fits).finish().byteLength;
    expect(6 * fitsBytes + 2).toBeGreaterThan(200);
    expect(reasons(validateIncoming(small, { kind: 'values', values: rowToObject(fits), encodedBytes: fitsBytes }))).toEqual([]);
    expect(reasons(validateIncoming(small, { kind: 'values', values: rowToObject(row) }))).toEqual([
      expect.stringMatching(/^VIOLATION_CODE_MALFORMED the record is \d+ bytes, more than the contract's max_record_bytes \(200\)$/),
    ]);
    expect(reasons(json(`{"id": "${'v'.repeat(DEFAULT_MAX_VALUE_BYTES + 1)}", "amount": 1, "at": "${good.at}"}`))).toEqual([
      `VIOLATION_CODE_OUT_OF_RANGE id: the value is ${DEFAULT_MAX_VALUE_BYTES + 1} bytes, more than the contract's max_value_bytes (${DEFAULT_MAX_VALUE_BYTES})`,
    ]);
    expect(reasons(json(`{"id": "${'k'.repeat(5000)}"}`))).toEqual([
      'VIOLATION_CODE_OUT_OF_RANGE id: the unique key is 5004 bytes, more than 1024',
    ]);
  });

  it('reports ten unknown columns and counts the rest, however many there are', () => {
    const record = Object.fromEntries([['id', 'a'], ...Array.from({ length: 350 }, (_, i) => [`extra${i}`, i])]);
    const found = reasons(json(JSON.stringify(record)));
    expect(found).toHaveLength(11);
    expect(found[10]).toBe('VIOLATION_CODE_UNKNOWN_COLUMN and 340 more columns that are not in the contract');
  });

  it.each([
    '2025-01-01T00:00:03.001Z',
    '1970-01-01T00:00:00.000Z',
    '0099-12-31T23:59:59.999Z',
    '9999-12-31T23:59:59.999Z',
    '2024-02-29T12:00:00.500Z',
    // Year 0 is a leap year; Date.UTC, which takes 0–99 for 1900–1999, would make this 1 March.
    '0000-02-29T00:00:00.000Z',
    '0004-02-29T23:59:59.999Z',
    '0099-12-31T23:59:59.999Z',
    '2000-02-29T00:00:00.000Z',
  ])('reads the stored instant %s as Date.parse does', (text) => expect(canonicalInstantMillis(text)).toBe(Date.parse(text)));

  it('reads every instant toISOString writes for years 0 to 9999 as Date.parse does', () => {
    let seed = 17;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const first = Date.parse('0000-01-01T00:00:00.000Z');
    const last = Date.parse('9999-12-31T23:59:59.999Z');
    const early = Date.parse('0100-01-01T00:00:00.000Z');
    for (let i = 0; i < 20_000; i++) {
      // Half of them before year 100, where years were once read as 1900–1999.
      const time = Math.floor(first + random() * ((i % 2 === 0 ? early : last) - first));
      const text = new Date(time).toISOString();
      expect([text, canonicalInstantMillis(text)]).toEqual([text, time]);
    }
  });

  it.each([
    '2025-01-01T00:00:00Z',
    '2023-02-29T00:00:00.000Z',
    '1900-02-29T00:00:00.000Z',
    '2025-04-31T00:00:00.000Z',
    '2025-01-01T24:00:00.000Z',
    '2025-01-01T00:60:00.000Z',
    '2025-13-01T00:00:00.000Z',
    '2025-00-10T00:00:00.000Z',
    '2025-01-00T00:00:00.000Z',
    '-025-01-01T00:00:00.000Z',
    '2025-01-01 00:00:00.000Z',
    '2025-0a-01T00:00:00.000Z',
  ])('leaves %s, not a stored instant, to the full parser', (text) => expect(canonicalInstantMillis(text)).toBeNull());
});
