import { ApiKey, type ApiCodec, NO_THROTTLE } from '../api';

export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: Array<{ apiKey: number; minVersion: number; maxVersion: number }>;
}

export const ApiVersions: ApiCodec<void, ApiVersionsResponse> = {
  key: ApiKey.ApiVersions,
  maxVersion: 2,
  decodeRequest: () => undefined,
  encodeResponse(w, version, res) {
    w.int16(res.errorCode);
    w.array(res.apiKeys, (w, k) => w.int16(k.apiKey).int16(k.minVersion).int16(k.maxVersion));
    if (version >= 1) w.int32(NO_THROTTLE);
  },
};
