import { ApiKey, type ApiCodec, NO_THROTTLE } from '../api';

export interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
}

export interface InitProducerIdResponse {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export const InitProducerId: ApiCodec<InitProducerIdRequest, InitProducerIdResponse> = {
  key: ApiKey.InitProducerId,
  maxVersion: 1,
  decodeRequest(r) {
    return { transactionalId: r.nullableString(), transactionTimeoutMs: r.int32() };
  },
  encodeResponse(w, _version, res) {
    w.int32(NO_THROTTLE).int16(res.errorCode).int64(res.producerId).int16(res.producerEpoch);
  },
};
