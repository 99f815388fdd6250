import { ApiKey, type ApiCodec, NO_THROTTLE } from '../api';

export interface OffsetFetchRequest {
  groupId: string;
  /** null: every partition the group has committed. */
  topics: Array<{ name: string; partitionIndexes: number[] }> | null;
}

export interface OffsetFetchResponse {
  errorCode: number;
  topics: Array<{
    name: string;
    partitions: Array<{ partitionIndex: number; committedOffset: number; metadata: string | null; errorCode: number }>;
  }>;
}

export const OffsetFetch: ApiCodec<OffsetFetchRequest, OffsetFetchResponse> = {
  key: ApiKey.OffsetFetch,
  maxVersion: 4,
  decodeRequest(r) {
    const groupId = r.string();
    const topics = r.nullableArray((r) => ({ name: r.string(), partitionIndexes: r.array((r) => r.int32()) }));
    return { groupId, topics };
  },
  encodeResponse(w, version, res) {
    if (version >= 3) w.int32(NO_THROTTLE);
    w.array(res.topics, (w, t) => {
      w.string(t.name);
      w.array(t.partitions, (w, p) => w.int32(p.partitionIndex).int64(p.committedOffset).nullableString(p.metadata).int16(p.errorCode));
    });
    if (version >= 2) w.int16(res.errorCode);
  },
};
