import { ApiKey, type ApiCodec, NO_THROTTLE } from '../api';

export interface CreatePartitionsRequest {
  topics: Array<{ name: string; count: number }>;
  timeoutMs: number;
  validateOnly: boolean;
}

export interface CreatePartitionsResponse {
  results: Array<{ name: string; errorCode: number; errorMessage: string | null }>;
}

export const CreatePartitions: ApiCodec<CreatePartitionsRequest, CreatePartitionsResponse> = {
  key: ApiKey.CreatePartitions,
  maxVersion: 1,
  decodeRequest(r) {
    const topics = r.array((r) => {
      const topic = { name: r.string(), count: r.int32() };
      r.nullableArray((r) => r.array((r) => r.int32())); // assignments: a single node decides alone
      return topic;
    });
    return { topics, timeoutMs: r.int32(), validateOnly: r.bool() };
  },
  encodeResponse(w, _version, res) {
    w.int32(NO_THROTTLE);
    w.array(res.results, (w, t) => w.string(t.name).int16(t.errorCode).nullableString(t.errorMessage));
  },
};
