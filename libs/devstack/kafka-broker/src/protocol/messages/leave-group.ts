import { ApiKey, type ApiCodec, NO_THROTTLE } from '../api';

export interface LeaveGroupRequest {
  groupId: string;
  memberId: string;
}

export const LeaveGroup: ApiCodec<LeaveGroupRequest, { errorCode: number }> = {
  key: ApiKey.LeaveGroup,
  maxVersion: 1,
  decodeRequest(r) {
    return { groupId: r.string(), memberId: r.string() };
  },
  encodeResponse(w, version, res) {
    if (version >= 1) w.int32(NO_THROTTLE);
    w.int16(res.errorCode);
  },
};
