import { ApiKey, type ApiCodec, NO_THROTTLE } from '../api';

export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

export interface ListOffsetsRequest {
  isolationLevel: number;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; timestamp: number }> }>;
}

export interface ListOffsetsPartitionResponse {
  partitionIndex: number;
  errorCode: number;
  timestamp: number;
  offset: number;
}

export interface ListOffsetsResponse {
  topics: Array<{ name: string; partitions: ListOffsetsPartitionResponse[] }>;
}

export const ListOffsets: ApiCodec<ListOffsetsRequest, ListOffsetsResponse> = {
  key: ApiKey.ListOffsets,
  maxVersion: 2,
  decodeRequest(r, version) {
    r.int32(); // replica_id
    const isolationLevel = version >= 2 ? r.int8() : 0;
    const topics = r.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => {
        const partitionIndex = r.int32();
        const timestamp = r.int64();
        if (version === 0) r.int32(); // max_num_offsets
        return { partitionIndex, timestamp };
      }),
    }));
    return { isolationLevel, topics };
  },
  encodeResponse(w, version, res) {
    if (version >= 2) w.int32(NO_THROTTLE);
    w.array(res.topics, (w, t) => {
      w.string(t.name);
      w.array(t.partitions, (w, p) => {
        w.int32(p.partitionIndex).int16(p.errorCode);
        if (version === 0) {
          // v0 answers a list of offsets; -1 (none found) is an empty list.
          w.array(p.offset >= 0 ? [p.offset] : [], (w, o) => w.int64(o));
        } else {
          w.int64(p.timestamp).int64(p.offset);
        }
      });
    });
  },
};
