import { ApiKey, type ApiCodec } from '../api';

export interface SaslAuthenticateResponse {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  /** v1+: 0, the broker never asks a client to re-authenticate (KIP-368). */
  sessionLifetimeMs: number;
}

/** v0–v1, and v2 in the flexible encoding (compact fields; header tagged fields by the dispatcher). */
export const SaslAuthenticate: ApiCodec<{ authBytes: Buffer }, SaslAuthenticateResponse> = {
  key: ApiKey.SaslAuthenticate,
  maxVersion: 2,
  firstFlexibleVersion: 2,
  decodeRequest(r, version) {
    if (version < 2) return { authBytes: r.bytes() };
    const authBytes = r.compactBytes();
    r.skipTaggedFields();
    return { authBytes };
  },
  encodeResponse(w, version, res) {
    w.int16(res.errorCode);
    if (version < 2) {
      w.nullableString(res.errorMessage).bytes(res.authBytes);
      if (version >= 1) w.int64(res.sessionLifetimeMs);
      return;
    }
    w.compactNullableString(res.errorMessage).compactBytes(res.authBytes).int64(res.sessionLifetimeMs).noTaggedFields();
  },
};
