import { type Reader } from './reader';
import { type Writer } from './writer';

export enum ApiKey {
  Produce = 0,
  Fetch = 1,
  ListOffsets = 2,
  Metadata = 3,
  OffsetCommit = 8,
  OffsetFetch = 9,
  FindCoordinator = 10,
  JoinGroup = 11,
  Heartbeat = 12,
  LeaveGroup = 13,
  SyncGroup = 14,
  DescribeGroups = 15,
  ListGroups = 16,
  ApiVersions = 18,
  CreateTopics = 19,
  DeleteTopics = 20,
  InitProducerId = 22,
  DescribeConfigs = 32,
  CreatePartitions = 37,
  DeleteGroups = 42,
}

/**
 * One Kafka API as the broker speaks it: the version range it advertises (always from 0, which
 * librdkafka requires before it enables features) and the request/response codecs. Only
 * non-flexible versions are advertised, so no message carries tagged fields.
 */
export interface ApiCodec<Req, Res> {
  readonly key: ApiKey;
  readonly maxVersion: number;
  decodeRequest(reader: Reader, version: number): Req;
  encodeResponse(writer: Writer, version: number, response: Res): void;
}

/** throttle_time_ms: this broker never throttles. */
export const NO_THROTTLE = 0;
