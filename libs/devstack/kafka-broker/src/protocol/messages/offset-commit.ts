import { ApiKey, type ApiCodec, NO_THROTTLE } from '../api';

export interface OffsetCommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; committedOffset: number; metadata: string | null }> }>;
}

export interface OffsetCommitResponse {
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;
}

export const OffsetCommit: ApiCodec<OffsetCommitRequest, OffsetCommitResponse> = {
  key: ApiKey.OffsetCommit,
  maxVersion: 5,
  decodeRequest(r, version) {
    const groupId = r.string();
    const generationId = version >= 1 ? r.int32() : -1;
    const memberId = version >= 1 ? r.string() : '';
    if (version >= 2 && version <= 4) r.int64(); // retention_time_ms
    const topics = r.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => {
        const partitionIndex = r.int32();
        const committedOffset = r.int64();
        if (version === 1) r.int64(); // commit_timestamp
        return { partitionIndex, committedOffset, metadata: r.nullableString() };
      }),
    }));
    return { groupId, generationId, memberId, topics };
  },
  encodeResponse(w, version, res) {
    if (version >= 3) w.int32(NO_THROTTLE);
    w.array(res.topics, (w, t) => {
      w.string(t.name);
      w.array(t.partitions, (w, p) => w.int32(p.partitionIndex).int16(p.errorCode));
    });
  },
};
