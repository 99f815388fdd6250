import { ApiKey, type ApiCodec, NO_THROTTLE } from '../api';

export interface FetchPartitionRequest {
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
}

export interface FetchRequest {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  topics: Array<{ topic: string; partitions: FetchPartitionRequest[] }>;
}

export interface FetchPartitionResponse {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  records: Buffer | null;
}

export interface FetchResponse {
  topics: Array<{ topic: string; partitions: FetchPartitionResponse[] }>;
}

/** No fetch sessions: every request is a full fetch, which both clients fall back to. */
const NO_SESSION = 0;

export const Fetch: ApiCodec<FetchRequest, FetchResponse> = {
  key: ApiKey.Fetch,
  maxVersion: 11,
  decodeRequest(r, version) {
    r.int32(); // replica_id
    const maxWaitMs = r.int32();
    const minBytes = r.int32();
    const maxBytes = version >= 3 ? r.int32() : 0x7fffffff;
    const isolationLevel = version >= 4 ? r.int8() : 0;
    if (version >= 7) {
      r.int32(); // session_id
      r.int32(); // session_epoch
    }
    const topics = r.array((r) => ({
      topic: r.string(),
      partitions: r.array((r) => {
        const partition = r.int32();
        if (version >= 9) r.int32(); // current_leader_epoch
        const fetchOffset = r.int64();
        if (version >= 5) r.int64(); // log_start_offset (followers only)
        return { partition, fetchOffset, partitionMaxBytes: r.int32() };
      }),
    }));
    if (version >= 7) r.array((r) => ({ topic: r.string(), partitions: r.array((r) => r.int32()) })); // forgotten
    if (version >= 11) r.string(); // rack_id
    return { maxWaitMs, minBytes, maxBytes, isolationLevel, topics };
  },
  encodeResponse(w, version, res) {
    if (version >= 1) w.int32(NO_THROTTLE);
    if (version >= 7) w.int16(0).int32(NO_SESSION);
    w.array(res.topics, (w, t) => {
      w.string(t.topic);
      w.array(t.partitions, (w, p) => {
        w.int32(p.partitionIndex).int16(p.errorCode).int64(p.highWatermark);
        if (version >= 4) w.int64(p.lastStableOffset);
        if (version >= 5) w.int64(p.logStartOffset);
        if (version >= 4) w.nullableArray(null, () => undefined); // aborted_transactions
        if (version >= 11) w.int32(-1); // preferred_read_replica
        w.nullableBytes(p.records);
      });
    });
  },
};
