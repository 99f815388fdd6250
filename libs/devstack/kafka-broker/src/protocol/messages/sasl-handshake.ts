import { ApiKey, type ApiCodec } from '../api';

export interface SaslHandshakeResponse {
  errorCode: number;
  /** The mechanisms the broker enables, whatever the client asked for. */
  mechanisms: string[];
}

/**
 * v0: the SASL tokens that follow travel as bare size-prefixed frames; v1: inside
 * SaslAuthenticate requests. Same fields in both.
 */
export const SaslHandshake: ApiCodec<{ mechanism: string }, SaslHandshakeResponse> = {
  key: ApiKey.SaslHandshake,
  maxVersion: 1,
  decodeRequest(r) {
    return { mechanism: r.string() };
  },
  encodeResponse(w, _version, res) {
    w.int16(res.errorCode);
    w.array(res.mechanisms, (w, m) => w.string(m));
  },
};
