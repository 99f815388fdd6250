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
  SaslHandshake = 17,
  ApiVersions = 18,
  CreateTopics = 19,
  DeleteTopics = 20,
  InitProducerId = 22,
  DescribeConfigs = 32,
  SaslAuthenticate = 36,
  CreatePartitions = 37,
  DeleteGroups = 42,
}

/**
 * One Kafka API as the broker speaks it: the version range it advertises (always from 0, which
 * librdkafka requires before it enables features) and the request/response codecs. Nearly
 * every API is advertised only in its non-flexible versions; one that goes further names its
 * first flexible version, and the dispatcher then handles the tagged fields of the request and
 * response headers, so the codec sees only the body.
 */
export interface ApiCodec<Req, Res> {
  readonly key: ApiKey;
  readonly maxVersion: number;
  /** From this version on, headers carry tagged fields (KIP-482); absent: never. */
  readonly firstFlexibleVersion?: number;
  decodeRequest(reader: Reader, version: number): Req;
  encodeResponse(writer: Writer, version: number, response: Res): void;
}

/** throttle_time_ms: this broker never throttles. */
export const NO_THROTTLE = 0;
