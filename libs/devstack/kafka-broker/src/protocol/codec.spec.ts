import { Fetch, JoinGroup, Metadata, OffsetCommit, Produce, SaslAuthenticate, SaslHandshake } from './messages';
import { MalformedRequestError, Reader } from './reader';
import { Writer } from './writer';

const bytesOf = (w: Writer) => Buffer.concat(w.finish());

describe('Reader and Writer', () => {
  it('round-trip the flexible encodings: unsigned varints, compact strings and bytes', () => {
    const values = [0, 1, 127, 128, 300, 16_383, 16_384, 2 ** 31 - 1];
    const w = new Writer();
    for (const v of values) w.unsignedVarint(v);
    w.compactNullableString('héllo')
      .compactNullableString(null)
      .compactBytes(Buffer.from([9, 8]))
      .noTaggedFields();
    const r = new Reader(bytesOf(w));
    expect(values.map(() => r.unsignedVarint())).toEqual(values);
    expect(r.compactNullableBytes()?.toString()).toBe('héllo');
    expect(r.compactNullableBytes()).toBeNull();
    expect([...r.compactBytes()]).toEqual([9, 8]);
    r.skipTaggedFields();
    expect(r.remaining).toBe(0);
    // 300 is 0xac 0x02, as in Kafka's ByteUtils.
    expect([...bytesOf(new Writer().unsignedVarint(300))]).toEqual([0xac, 0x02]);
  });

  it('skips tagged fields it does not know', () => {
    const r = new Reader(Buffer.from([2, 0, 2, 0xaa, 0xbb, 5, 0, 42]));
    r.skipTaggedFields();
    expect(r.int8()).toBe(42);
  });

  it.each([
    ['a varint over 5 bytes', [0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
    ['a varint over int32', [0xff, 0xff, 0xff, 0xff, 0x0f]],
    ['compact bytes longer than the frame', [0x10, 1, 2]],
    ['a tagged field longer than the frame', [1, 0, 9, 1]],
  ])('refuses %s', (_name, bytes) => {
    const r = new Reader(Buffer.from(bytes));
    expect(() => {
      r.skipTaggedFields();
      r.compactBytes();
    }).toThrow(MalformedRequestError);
  });

  it('decodes SaslAuthenticate v2 (compact) and v0 alike, and encodes SaslHandshake with the mechanism list', () => {
    const token = Buffer.from('n,,n=a,r=nonce');
    const v2 = new Reader(bytesOf(new Writer().compactBytes(token).noTaggedFields()));
    expect(SaslAuthenticate.decodeRequest(v2, 2).authBytes.equals(token)).toBe(true);
    const v0 = new Reader(bytesOf(new Writer().bytes(token)));
    expect(SaslAuthenticate.decodeRequest(v0, 0).authBytes.equals(token)).toBe(true);
    const w = new Writer();
    SaslHandshake.encodeResponse(w, 1, { errorCode: 33, mechanisms: ['SCRAM-SHA-512'] });
    const r = new Reader(bytesOf(w));
    expect([r.int16(), r.array((r) => r.string())]).toEqual([33, ['SCRAM-SHA-512']]);
  });

  it('round-trip every primitive, including null strings, bytes and arrays', () => {
    const big = Buffer.alloc(10_000, 7);
    const w = new Writer()
      .int8(-5)
      .bool(true)
      .int16(-300)
      .int32(123456789)
      .int64(2 ** 40 + 3)
      .int64(-1)
      .string('héllo')
      .nullableString(null)
      .bytes(Buffer.from([1, 2, 3]))
      .nullableBytes(null)
      .bytes(big)
      .array([1, 2, 3], (w, n) => w.int32(n))
      .nullableArray(null, () => undefined);
    const r = new Reader(bytesOf(w));
    expect(r.int8()).toBe(-5);
    expect(r.bool()).toBe(true);
    expect(r.int16()).toBe(-300);
    expect(r.int32()).toBe(123456789);
    expect(r.int64()).toBe(2 ** 40 + 3);
    expect(r.int64()).toBe(-1);
    expect(r.string()).toBe('héllo');
    expect(r.nullableString()).toBeNull();
    expect([...r.bytes()]).toEqual([1, 2, 3]);
    expect(r.nullableBytes()).toBeNull();
    expect(r.bytes().equals(big)).toBe(true);
    expect(r.array((r) => r.int32())).toEqual([1, 2, 3]);
    expect(r.nullableArray((r) => r.int32())).toBeNull();
    expect(r.remaining).toBe(0);
  });

  it('counts the length of referenced large chunks', () => {
    const w = new Writer().int32(1).raw(Buffer.alloc(5000)).int16(2);
    expect(w.length).toBe(5006);
    expect(bytesOf(w).length).toBe(5006);
  });

  it('rejects truncated input and absurd lengths instead of reading past the frame', () => {
    expect(() => new Reader(Buffer.from([0, 0, 0])).int32()).toThrow(MalformedRequestError);
    expect(() => new Reader(Buffer.from([0, 10, 65])).string()).toThrow(MalformedRequestError);
    expect(() => new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff])).array((r) => r.int8())).toThrow(MalformedRequestError);
    expect(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xfe])).bytes()).toThrow(MalformedRequestError);
  });
});

describe('message codecs', () => {
  it('decode Metadata v0 empty list as all topics and v4 empty list as none', () => {
    const empty = bytesOf(new Writer().array([], () => undefined));
    expect(Metadata.decodeRequest(new Reader(empty), 0).topics).toBeNull();
    const v4 = bytesOf(new Writer().array([], () => undefined).bool(false));
    expect(Metadata.decodeRequest(new Reader(v4), 4)).toEqual({ topics: [], allowAutoTopicCreation: false });
  });

  it('decode Produce v7 and keep the records as a view on the frame', () => {
    const records = Buffer.from('batch-bytes');
    const frame = bytesOf(
      new Writer()
        .nullableString(null)
        .int16(-1)
        .int32(30000)
        .array([0], (w) => w.string('t').array([0], (w) => w.int32(2).bytes(records))),
    );
    const req = Produce.decodeRequest(new Reader(frame), 7);
    expect(req).toMatchObject({ transactionalId: null, acks: -1, timeoutMs: 30000 });
    const stored = req.topics[0].partitions[0];
    expect(stored.index).toBe(2);
    expect(stored.records?.buffer).toBe(frame.buffer);
  });

  it('decode Fetch v11 fields in order and skip the session and rack fields', () => {
    const frame = bytesOf(
      new Writer()
        .int32(-1)
        .int32(500)
        .int32(1)
        .int32(1 << 20)
        .int8(1)
        .int32(0)
        .int32(-1)
        .array([0], (w) => w.string('orders').array([0], (w) => w.int32(3).int32(-1).int64(42).int64(0).int32(1000)))
        .array([], () => undefined)
        .string(''),
    );
    const r = new Reader(frame);
    expect(Fetch.decodeRequest(r, 11)).toEqual({
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 1,
      topics: [{ topic: 'orders', partitions: [{ partition: 3, fetchOffset: 42, partitionMaxBytes: 1000 }] }],
    });
    expect(r.remaining).toBe(0);
  });

  it('encode JoinGroup v5 with instance ids and v0 without', () => {
    const res = {
      errorCode: 0,
      generationId: 3,
      protocolName: 'range',
      leader: 'a',
      memberId: 'a',
      members: [{ memberId: 'a', groupInstanceId: null, metadata: Buffer.from([9]) }],
    };
    const v5 = new Writer();
    JoinGroup.encodeResponse(v5, 5, res);
    const v0 = new Writer();
    JoinGroup.encodeResponse(v0, 0, res);
    // v5 adds throttle_time_ms (4) and one nullable instance id (2) per member.
    expect(v5.length - v0.length).toBe(6);
  });

  it('decode OffsetCommit v2 (retention time) and v5 (none) to the same request', () => {
    const body = (version: number) => {
      const w = new Writer().string('g').int32(4).string('m');
      if (version === 2) w.int64(-1);
      return bytesOf(w.array([0], (w) => w.string('t').array([0], (w) => w.int32(1).int64(99).nullableString(null))));
    };
    expect(OffsetCommit.decodeRequest(new Reader(body(2)), 2)).toEqual(OffsetCommit.decodeRequest(new Reader(body(5)), 5));
  });
});
