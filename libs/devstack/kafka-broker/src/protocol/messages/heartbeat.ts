import { ApiKey, type ApiCodec, NO_THROTTLE } from '../api';

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
}

export const Heartbeat: ApiCodec<HeartbeatRequest, { errorCode: number }> = {
  key: ApiKey.Heartbeat,
  maxVersion: 3,
  decodeRequest(r, version) {
    const request = { groupId: r.string(), generationId: r.int32(), memberId: r.string() };
    if (version >= 3) r.nullableString(); // group_instance_id
    return request;
  },
  encodeResponse(w, version, res) {
    if (version >= 1) w.int32(NO_THROTTLE);
    w.int16(res.errorCode);
  },
};
