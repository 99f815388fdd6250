import { ApiKey, type ApiCodec, NO_THROTTLE } from '../api';

export interface FindCoordinatorRequest {
  key: string;
  keyType: number;
}

export interface FindCoordinatorResponse {
  errorCode: number;
  nodeId: number;
  host: string;
  port: number;
}

export const FindCoordinator: ApiCodec<FindCoordinatorRequest, FindCoordinatorResponse> = {
  key: ApiKey.FindCoordinator,
  maxVersion: 2,
  decodeRequest(r, version) {
    return { key: r.string(), keyType: version >= 1 ? r.int8() : 0 };
  },
  encodeResponse(w, version, res) {
    if (version >= 1) w.int32(NO_THROTTLE);
    w.int16(res.errorCode);
    if (version >= 1) w.nullableString(null); // error_message
    w.int32(res.nodeId).string(res.host).int32(res.port);
  },
};
