import { ApiKey, type ApiCodec, NO_THROTTLE } from '../api';

export interface MetadataRequest {
  /** null: every topic. */
  topics: string[] | null;
  allowAutoTopicCreation: boolean;
}

export interface MetadataBroker {
  nodeId: number;
  host: string;
  port: number;
}

export interface MetadataPartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  replicaNodes: number[];
  isrNodes: number[];
}

export interface MetadataTopic {
  errorCode: number;
  name: string;
  partitions: MetadataPartition[];
}

export interface MetadataResponse {
  brokers: MetadataBroker[];
  clusterId: string;
  controllerId: number;
  topics: MetadataTopic[];
}

export const Metadata: ApiCodec<MetadataRequest, MetadataResponse> = {
  key: ApiKey.Metadata,
  maxVersion: 4,
  decodeRequest(r, version) {
    const topics = r.nullableArray((r) => r.string());
    // v0 had no null: an empty list meant every topic.
    const all = topics === null || (version === 0 && topics.length === 0);
    const allowAutoTopicCreation = version >= 4 ? r.bool() : true;
    return { topics: all ? null : topics, allowAutoTopicCreation };
  },
  encodeResponse(w, version, res) {
    if (version >= 3) w.int32(NO_THROTTLE);
    w.array(res.brokers, (w, b) => {
      w.int32(b.nodeId).string(b.host).int32(b.port);
      if (version >= 1) w.nullableString(null); // rack
    });
    if (version >= 2) w.nullableString(res.clusterId);
    if (version >= 1) w.int32(res.controllerId);
    w.array(res.topics, (w, t) => {
      w.int16(t.errorCode).string(t.name);
      if (version >= 1) w.bool(false); // is_internal
      w.array(t.partitions, (w, p) => {
        w.int16(p.errorCode).int32(p.partitionIndex).int32(p.leaderId);
        w.array(p.replicaNodes, (w, n) => w.int32(n));
        w.array(p.isrNodes, (w, n) => w.int32(n));
      });
    });
  },
};
