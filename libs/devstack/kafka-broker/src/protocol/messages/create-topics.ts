import { ApiKey, type ApiCodec, NO_THROTTLE } from '../api';

export interface CreatableTopic {
  name: string;
  /** -1: the broker's default (v4+). */
  numPartitions: number;
  replicationFactor: number;
  assignments: Array<{ partitionIndex: number; brokerIds: number[] }>;
  configs: Array<{ name: string; value: string | null }>;
}

export interface CreateTopicsRequest {
  topics: CreatableTopic[];
  timeoutMs: number;
  validateOnly: boolean;
}

export interface CreateTopicsResponse {
  topics: Array<{ name: string; errorCode: number; errorMessage: string | null }>;
}

export const CreateTopics: ApiCodec<CreateTopicsRequest, CreateTopicsResponse> = {
  key: ApiKey.CreateTopics,
  maxVersion: 4,
  decodeRequest(r, version) {
    const topics = r.array((r) => ({
      name: r.string(),
      numPartitions: r.int32(),
      replicationFactor: r.int16(),
      assignments: r.array((r) => ({ partitionIndex: r.int32(), brokerIds: r.array((r) => r.int32()) })),
      configs: r.array((r) => ({ name: r.string(), value: r.nullableString() })),
    }));
    const timeoutMs = r.int32();
    const validateOnly = version >= 1 ? r.bool() : false;
    return { topics, timeoutMs, validateOnly };
  },
  encodeResponse(w, version, res) {
    if (version >= 2) w.int32(NO_THROTTLE);
    w.array(res.topics, (w, t) => {
      w.string(t.name).int16(t.errorCode);
      if (version >= 1) w.nullableString(t.errorMessage);
    });
  },
};
