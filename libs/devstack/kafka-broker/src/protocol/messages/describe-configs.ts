import { ApiKey, type ApiCodec, NO_THROTTLE } from '../api';

export enum ConfigResourceType {
  Topic = 2,
  Broker = 4,
}

/** Where a config value comes from (DescribeConfigs v1 config_source). */
export enum ConfigSource {
  DynamicTopic = 1,
  StaticBroker = 4,
  Default = 5,
}

export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  source: ConfigSource;
  isSensitive: boolean;
}

export interface DescribeConfigsRequest {
  resources: Array<{ resourceType: number; resourceName: string; configurationKeys: string[] | null }>;
  includeSynonyms: boolean;
}

export interface DescribeConfigsResponse {
  results: Array<{
    errorCode: number;
    errorMessage: string | null;
    resourceType: number;
    resourceName: string;
    configs: DescribedConfig[];
  }>;
}

export const DescribeConfigs: ApiCodec<DescribeConfigsRequest, DescribeConfigsResponse> = {
  key: ApiKey.DescribeConfigs,
  maxVersion: 1,
  decodeRequest(r, version) {
    const resources = r.array((r) => ({
      resourceType: r.int8(),
      resourceName: r.string(),
      configurationKeys: r.nullableArray((r) => r.string()),
    }));
    return { resources, includeSynonyms: version >= 1 ? r.bool() : false };
  },
  encodeResponse(w, version, res) {
    w.int32(NO_THROTTLE);
    w.array(res.results, (w, result) => {
      w.int16(result.errorCode).nullableString(result.errorMessage);
      w.int8(result.resourceType).string(result.resourceName);
      w.array(result.configs, (w, c) => {
        w.string(c.name).nullableString(c.value).bool(c.readOnly);
        if (version === 0) w.bool(c.source === ConfigSource.Default);
        else w.int8(c.source);
        w.bool(c.isSensitive);
        if (version >= 1) w.array([], () => undefined); // synonyms
      });
    });
  },
};
