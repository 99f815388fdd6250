import { featureStoreV1 } from '@flywheel/contracts';
import { toProtoValue } from '../feature-views/feature-values';
import { type OnlineFeatureValues, type OnlineLookup } from './online-features.service';

const { OnlineStatus } = featureStoreV1;

const STATUS: Record<OnlineLookup['state'], featureStoreV1.OnlineStatus> = {
  present: OnlineStatus.ONLINE_STATUS_PRESENT,
  missing: OnlineStatus.ONLINE_STATUS_MISSING,
  expired: OnlineStatus.ONLINE_STATUS_EXPIRED,
};

/** Values typed by each feature's declared type; no values, event or expiry time unless present. */
export function toOnlineFeaturesResponse(found: OnlineFeatureValues): featureStoreV1.GetOnlineFeaturesResponse {
  return {
    featureViewRevision: found.revision,
    results: found.results.map((lookup): featureStoreV1.OnlineFeatures => {
      if (lookup.state !== 'present')
        return {
          entityKey: lookup.entityKey,
          status: STATUS[lookup.state],
          values: undefined,
          eventTime: undefined,
          expireTime: undefined,
        };
      const values = Object.fromEntries(found.features.map((f) => [f.name, toProtoValue(lookup.values[f.name], f.type)]));
      return {
        entityKey: lookup.entityKey,
        status: STATUS.present,
        values: { values },
        eventTime: lookup.eventTime,
        expireTime: lookup.expireTime ?? undefined,
      };
    }),
  };
}

/**
 * The answer's bytes, written by the ts-proto encoder of its type straight from the objects the
 * service built. proto-loader, NestJS's way, first builds protobuf.js messages of them: for a
 * hundred entities of ten features that cost three times as much, for the same message (fewer
 * bytes: fields at their default are left out, as proto3 allows).
 */
export function encodeOnlineFeaturesResponse(response: featureStoreV1.GetOnlineFeaturesResponse): Buffer {
  const bytes = featureStoreV1.GetOnlineFeaturesResponse.encode(response).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
