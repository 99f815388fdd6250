import { ApiKey, type ApiCodec, NO_THROTTLE } from '../api';

export interface ListGroupsResponse {
  errorCode: number;
  groups: Array<{ groupId: string; protocolType: string }>;
}

export const ListGroups: ApiCodec<void, ListGroupsResponse> = {
  key: ApiKey.ListGroups,
  maxVersion: 2,
  decodeRequest: () => undefined,
  encodeResponse(w, version, res) {
    if (version >= 1) w.int32(NO_THROTTLE);
    w.int16(res.errorCode);
    w.array(res.groups, (w, g) => w.string(g.groupId).string(g.protocolType));
  },
};
