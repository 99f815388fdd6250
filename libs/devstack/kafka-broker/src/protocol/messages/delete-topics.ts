import { ApiKey, type ApiCodec, NO_THROTTLE } from '../api';

export interface DeleteTopicsResponse {
  responses: Array<{ name: string; errorCode: number }>;
}

export const DeleteTopics: ApiCodec<{ topicNames: string[]; timeoutMs: number }, DeleteTopicsResponse> = {
  key: ApiKey.DeleteTopics,
  maxVersion: 1,
  decodeRequest(r) {
    return { topicNames: r.array((r) => r.string()), timeoutMs: r.int32() };
  },
  encodeResponse(w, version, res) {
    if (version >= 1) w.int32(NO_THROTTLE);
    w.array(res.responses, (w, t) => w.string(t.name).int16(t.errorCode));
  },
};
