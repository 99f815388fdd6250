import { ApiKey, type ApiCodec, NO_THROTTLE } from '../api';

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: Array<{ memberId: string; clientId: string; clientHost: string; memberMetadata: Buffer; memberAssignment: Buffer }>;
}

export const DescribeGroups: ApiCodec<{ groups: string[] }, { groups: DescribedGroup[] }> = {
  key: ApiKey.DescribeGroups,
  maxVersion: 2,
  decodeRequest(r) {
    return { groups: r.array((r) => r.string()) };
  },
  encodeResponse(w, version, res) {
    if (version >= 1) w.int32(NO_THROTTLE);
    w.array(res.groups, (w, g) => {
      w.int16(g.errorCode).string(g.groupId).string(g.groupState).string(g.protocolType).string(g.protocolData);
      w.array(g.members, (w, m) =>
        w.string(m.memberId).string(m.clientId).string(m.clientHost).bytes(m.memberMetadata).bytes(m.memberAssignment),
      );
    });
  },
};
