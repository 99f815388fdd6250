import { ApiKey, type ApiCodec, NO_THROTTLE } from '../api';

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface SyncGroupResponse {
  errorCode: number;
  assignment: Buffer;
}

export const SyncGroup: ApiCodec<SyncGroupRequest, SyncGroupResponse> = {
  key: ApiKey.SyncGroup,
  maxVersion: 3,
  decodeRequest(r, version) {
    const groupId = r.string();
    const generationId = r.int32();
    const memberId = r.string();
    const groupInstanceId = version >= 3 ? r.nullableString() : null;
    // Copied: the assignment outlives this request frame (followers wait for it).
    const assignments = r.array((r) => ({ memberId: r.string(), assignment: Buffer.from(r.bytes()) }));
    return { groupId, generationId, memberId, groupInstanceId, assignments };
  },
  encodeResponse(w, version, res) {
    if (version >= 1) w.int32(NO_THROTTLE);
    w.int16(res.errorCode).bytes(res.assignment);
  },
};
