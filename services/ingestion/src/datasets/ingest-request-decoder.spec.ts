import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { commonV1, ingestionV1 } from '@flywheel/contracts';
import { type Contract } from './dataset-contract';
import { decodeIngestRequest, packedRowsOf } from './ingest-request-decoder';
import { judgeRows, packedBytes } from './record-batch';
import { decodeRowValues } from './row-decoder';
import { rowToObject } from '../testing/row-values';

const { ColumnType } = commonV1;

const rows: commonV1.Row[] = [
  { values: { id: { stringValue: 'a' }, amount: { numberValue: 1.5 }, at: { timestampValue: new Date('2026-01-01T00:00:00Z') } } },
  { values: {} },
  { values: { id: { stringValue: 'ü, "b"' }, flag: { boolValue: true }, none: {} } },
];

describe('decodeIngestRequest', () => {
  it('reads the envelope as protobuf does and leaves each row as its own Row message', () => {
    const request: ingestionV1.IngestRequest = { dataset: 'claims', rows, batchId: 'b-1', commitNow: true };
    const decoded = decodeIngestRequest(ingestionV1.IngestRequest.encode(request).finish());
    expect(packedRowsOf(decoded)).toBe(decoded.packedRows);
    expect(decoded).toMatchObject({ dataset: 'claims', rows: [], batchId: 'b-1', commitNow: true });
    expect(decoded.packedRows.ends).toHaveLength(rows.length);
    expect(rows.map((_, at) => decodeRowValues(packedBytes(decoded.packedRows, at)!))).toEqual(
      ingestionV1.IngestRequest.decode(ingestionV1.IngestRequest.encode(request).finish()).rows.map(rowToObject),
    );
  });

  it('packs the rows of a request that did not come off the wire, so it takes the same path', () => {
    const packed = packedRowsOf({ dataset: 'claims', rows, batchId: '', commitNow: false });
    expect(rows.map((_, at) => decodeRowValues(packedBytes(packed, at)!))).toEqual(
      rows.map((row) => rowToObject(commonV1.Row.decode(commonV1.Row.encode(row).finish()))),
    );
  });

  it('takes fields in any order, the last scalar winning, and skips fields it does not know', () => {
    const writer = new BinaryWriter();
    writer.tag(4, WireType.Varint).bool(true);
    writer.tag(2, WireType.LengthDelimited).bytes(commonV1.Row.encode(rows[0]!).finish());
    writer.tag(1, WireType.LengthDelimited).string('first');
    writer.tag(9, WireType.Varint).uint64(12345);
    writer.tag(10, WireType.LengthDelimited).string('an unknown field');
    writer.tag(1, WireType.LengthDelimited).string('claims');
    writer.tag(2, WireType.LengthDelimited).bytes(commonV1.Row.encode(rows[2]!).finish());
    const decoded = decodeIngestRequest(writer.finish());
    expect(decoded).toMatchObject({ dataset: 'claims', batchId: '', commitNow: true });
    expect([decodeRowValues(packedBytes(decoded.packedRows, 0)!), decodeRowValues(packedBytes(decoded.packedRows, 1)!)]).toEqual(
      [rows[0], rows[2]].map((r) => rowToObject(commonV1.Row.decode(commonV1.Row.encode(r!).finish()))),
    );
  });

  it('refuses bytes that end early and a known field with the wrong wire type', () => {
    const whole = ingestionV1.IngestRequest.encode({ dataset: 'claims', rows, batchId: '', commitNow: false }).finish();
    expect(() => decodeIngestRequest(whole.subarray(0, whole.length - 3))).toThrow();
    const wrongType = new BinaryWriter().tag(2, WireType.Varint).uint32(7).finish();
    expect(() => decodeIngestRequest(wrongType)).toThrow('field 2 has wire type 0, not 2');
    expect(decodeIngestRequest(new Uint8Array(0))).toMatchObject({ dataset: '', batchId: '', commitNow: false });
  });

  it('leaves a row that is no Row message to the judge, which names it', () => {
    const contract: Contract = {
      columns: [
        { name: 'id', type: ColumnType.COLUMN_TYPE_STRING, required: true, min: null, max: null, allowedValues: [], description: '' },
      ],
      uniqueKey: [],
      eventTimeColumn: '',
    };
    const writer = new BinaryWriter();
    writer.tag(1, WireType.LengthDelimited).string('claims');
    writer.tag(2, WireType.LengthDelimited).bytes(commonV1.Row.encode({ values: { id: { stringValue: 'a' } } }).finish());
    // A Row's map entry whose key announces 5 bytes and has none.
    writer.tag(2, WireType.LengthDelimited).bytes(Uint8Array.from([0x0a, 0x02, 0x0a, 0x05]));
    const decoded = decodeIngestRequest(writer.finish());
    expect(judgeRows(contract, decoded.packedRows)).toMatchObject({ undecodableAt: 1, reason: expect.stringMatching(/\S/) });
  });
});
