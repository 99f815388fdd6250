import { ApiKey, type ApiCodec, NO_THROTTLE } from '../api';

export interface DeleteGroupsResponse {
  results: Array<{ groupId: string; errorCode: number }>;
}

export const DeleteGroups: ApiCodec<{ groupsNames: string[] }, DeleteGroupsResponse> = {
  key: ApiKey.DeleteGroups,
  maxVersion: 1,
  decodeRequest(r) {
    return { groupsNames: r.array((r) => r.string()) };
  },
  encodeResponse(w, _version, res) {
    w.int32(NO_THROTTLE);
    w.array(res.results, (w, g) => w.string(g.groupId).int16(g.errorCode));
  },
};
