import { ErrorCode } from '../protocol/error-codes';
import {
  ConfigResourceType,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  type DeleteGroupsResponse,
  type DeleteTopicsResponse,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
  type DescribedGroup,
  type FetchRequest,
  type FetchResponse,
  type FindCoordinatorRequest,
  type InitProducerIdRequest,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type MetadataRequest,
  type MetadataResponse,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type ProduceRequest,
  type ProduceResponse,
} from '../protocol/messages';
import { CLUSTER_NAME } from './authorizer';
import { type RequestAccess } from './request-access';

type Named = { name: string };

/** Splits items into those `allowed` and the rest, keeping their order. */
function split<T>(items: readonly T[], allowed: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (allowed(item) ? yes : no).push(item);
  return [yes, no];
}

/** Runs `next` only when something is left to run it on. */
async function partly<Req, Res>(request: Req, hasWork: boolean, next: (r: Req) => Res | Promise<Res>, empty: Res): Promise<Res> {
  return hasWork ? next(request) : empty;
}

const TOPIC_DENIED = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
const GROUP_DENIED = ErrorCode.GROUP_AUTHORIZATION_FAILED;

/**
 * Kafka's authorisation of each request (KafkaApis with an authoriser): what the principal may
 * not touch is answered with the API's authorisation error, per partition, topic or group as
 * Kafka answers it, and only the rest reaches the broker's planes. One function per API.
 */
export const AccessGuard = {
  produce(req: ProduceRequest, access: RequestAccess, next: (r: ProduceRequest) => ProduceResponse | null): ProduceResponse | null {
    const txDenied = req.transactionalId !== null && !access.allows('write', 'transactional-id', req.transactionalId);
    const [allowed, refused] = split(req.topics, (t) => !txDenied && access.allows('write', 'topic', t.name));
    const errorCode = txDenied ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : TOPIC_DENIED;
    const answered = allowed.length > 0 ? next({ ...req, topics: allowed }) : null;
    if (req.acks === 0) return null;
    const refusedTopics = refused.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ index: p.index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 })),
    }));
    return { topics: [...(answered?.topics ?? []), ...refusedTopics] };
  },

  async fetch(req: FetchRequest, access: RequestAccess, next: (r: FetchRequest) => Promise<FetchResponse>): Promise<FetchResponse> {
    const [allowed, refused] = split(req.topics, (t) => access.allows('read', 'topic', t.topic));
    const answered = await partly({ ...req, topics: allowed }, allowed.length > 0, next, { topics: [] });
    const refusedTopics = refused.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partition,
        errorCode: TOPIC_DENIED,
        highWatermark: -1,
        lastStableOffset: -1,
        logStartOffset: -1,
        // Empty, not null: librdkafka rejects a null record set as a malformed answer (Kafka sends empty).
        records: Buffer.alloc(0),
      })),
    }));
    return { topics: [...answered.topics, ...refusedTopics] };
  },

  listOffsets(req: ListOffsetsRequest, access: RequestAccess, next: (r: ListOffsetsRequest) => ListOffsetsResponse): ListOffsetsResponse {
    const [allowed, refused] = split(req.topics, (t) => access.allows('describe', 'topic', t.name));
    const answered = allowed.length > 0 ? next({ ...req, topics: allowed }) : { topics: [] };
    const refusedTopics = refused.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: TOPIC_DENIED, timestamp: -1, offset: -1 })),
    }));
    return { topics: [...answered.topics, ...refusedTopics] };
  },

  /**
   * Topics the principal may not Describe are left out of an all-topics answer and refused by
   * name otherwise (never revealing whether they exist); a missing topic is auto-created only
   * with Create on the cluster or on the topic.
   */
  metadata(
    req: MetadataRequest,
    access: RequestAccess,
    next: (r: MetadataRequest, mayCreate: (topic: string) => boolean) => MetadataResponse,
  ): MetadataResponse {
    const mayCreate = (topic: string) => access.allows('create', 'cluster', CLUSTER_NAME, true) || access.allows('create', 'topic', topic);
    if (req.topics === null) {
      const all = next(req, mayCreate);
      return { ...all, topics: all.topics.filter((t) => access.allows('describe', 'topic', t.name, true)) };
    }
    const [allowed, refused] = split(req.topics, (name) => access.allows('describe', 'topic', name));
    // Asking for no topic at all is not "every topic" past v0: the plane gets an empty list.
    const answered = next({ ...req, topics: allowed }, mayCreate);
    const refusedTopics = refused.map((name) => ({ errorCode: TOPIC_DENIED, name, partitions: [] }));
    return { ...answered, topics: [...answered.topics, ...refusedTopics] };
  },

  initProducerId(req: InitProducerIdRequest, access: RequestAccess): ErrorCode {
    if (req.transactionalId !== null) {
      return access.allows('write', 'transactional-id', req.transactionalId)
        ? ErrorCode.NONE
        : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    }
    const idempotent = access.allows('idempotent-write', 'cluster', CLUSTER_NAME, true) || access.allowsAny('write', 'topic');
    if (!idempotent) access.allows('idempotent-write', 'cluster', CLUSTER_NAME); // logs the refusal
    return idempotent ? ErrorCode.NONE : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
  },

  findCoordinator(req: FindCoordinatorRequest, access: RequestAccess): ErrorCode {
    // key_type 1 is a transaction coordinator, 0 (and v0) a group coordinator.
    if (req.keyType === 1) {
      return access.allows('describe', 'transactional-id', req.key) ? ErrorCode.NONE : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    }
    return access.allows('describe', 'group', req.key) ? ErrorCode.NONE : GROUP_DENIED;
  },

  /** JoinGroup, SyncGroup, Heartbeat and LeaveGroup: Read on the group. */
  groupMembership(groupId: string, access: RequestAccess): ErrorCode {
    return access.allows('read', 'group', groupId) ? ErrorCode.NONE : GROUP_DENIED;
  },

  offsetCommit(
    req: OffsetCommitRequest,
    access: RequestAccess,
    next: (r: OffsetCommitRequest) => OffsetCommitResponse,
  ): OffsetCommitResponse {
    const groupAllowed = access.allows('read', 'group', req.groupId);
    const [allowed, refused] = split(req.topics, (t) => groupAllowed && access.allows('read', 'topic', t.name));
    const errorCode = groupAllowed ? TOPIC_DENIED : GROUP_DENIED;
    const answered = allowed.length > 0 ? next({ ...req, topics: allowed }) : { topics: [] };
    const refusedTopics = refused.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
    }));
    return { topics: [...answered.topics, ...refusedTopics] };
  },

  offsetFetch(req: OffsetFetchRequest, access: RequestAccess, next: (r: OffsetFetchRequest) => OffsetFetchResponse): OffsetFetchResponse {
    const deniedPartitions = (topics: OffsetFetchRequest['topics'], errorCode: ErrorCode) =>
      (topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1, metadata: '', errorCode })),
      }));
    if (!access.allows('describe', 'group', req.groupId)) {
      // v2+ clients read the top-level code, v0–v1 the partitions' codes.
      return { errorCode: GROUP_DENIED, topics: deniedPartitions(req.topics, GROUP_DENIED) };
    }
    if (req.topics === null) {
      const all = next(req);
      return { ...all, topics: all.topics.filter((t) => access.allows('describe', 'topic', t.name, true)) };
    }
    const [allowed, refused] = split(req.topics, (t) => access.allows('describe', 'topic', t.name));
    const answered = next({ ...req, topics: allowed });
    return { ...answered, topics: [...answered.topics, ...deniedPartitions(refused, TOPIC_DENIED)] };
  },

  /** All groups with Describe on the cluster, else those the principal may Describe. */
  listGroups<G extends { groupId: string }>(groups: G[], access: RequestAccess): G[] {
    if (access.allows('describe', 'cluster', CLUSTER_NAME, true)) return groups;
    return groups.filter((g) => access.allows('describe', 'group', g.groupId, true));
  },

  describeGroups(groupIds: string[], access: RequestAccess, next: (ids: string[]) => DescribedGroup[]): DescribedGroup[] {
    const [allowed, refused] = split(groupIds, (id) => access.allows('describe', 'group', id));
    const described = allowed.length > 0 ? next(allowed) : [];
    const denied = refused.map((groupId) => ({
      errorCode: GROUP_DENIED,
      groupId,
      groupState: '',
      protocolType: '',
      protocolData: '',
      members: [],
    }));
    return [...described, ...denied];
  },

  deleteGroups(
    groupIds: string[],
    access: RequestAccess,
    next: (ids: string[]) => DeleteGroupsResponse['results'],
  ): DeleteGroupsResponse['results'] {
    const [allowed, refused] = split(groupIds, (id) => access.allows('delete', 'group', id));
    return [...(allowed.length > 0 ? next(allowed) : []), ...refused.map((groupId) => ({ groupId, errorCode: GROUP_DENIED }))];
  },

  createTopics(
    req: CreateTopicsRequest,
    access: RequestAccess,
    next: (r: CreateTopicsRequest) => CreateTopicsResponse,
  ): CreateTopicsResponse {
    const clusterCreate = access.allows('create', 'cluster', CLUSTER_NAME, true);
    const [allowed, refused] = split(req.topics, (t) => clusterCreate || access.allows('create', 'topic', t.name));
    const answered = allowed.length > 0 ? next({ ...req, topics: allowed }) : { topics: [] };
    return { topics: [...answered.topics, ...refused.map((t) => topicDenied(t, 'create'))] };
  },

  deleteTopics(
    req: { topicNames: string[]; timeoutMs: number },
    access: RequestAccess,
    next: (r: { topicNames: string[]; timeoutMs: number }) => DeleteTopicsResponse,
  ): DeleteTopicsResponse {
    const [allowed, refused] = split(req.topicNames, (name) => access.allows('delete', 'topic', name));
    const answered = allowed.length > 0 ? next({ ...req, topicNames: allowed }) : { responses: [] };
    return { responses: [...answered.responses, ...refused.map((name) => ({ name, errorCode: TOPIC_DENIED }))] };
  },

  createPartitions(
    req: CreatePartitionsRequest,
    access: RequestAccess,
    next: (r: CreatePartitionsRequest) => CreatePartitionsResponse,
  ): CreatePartitionsResponse {
    const [allowed, refused] = split(req.topics, (t) => access.allows('alter', 'topic', t.name));
    const answered = allowed.length > 0 ? next({ ...req, topics: allowed }) : { results: [] };
    return { results: [...answered.results, ...refused.map((t) => topicDenied(t, 'alter'))] };
  },

  describeConfigs(
    req: DescribeConfigsRequest,
    access: RequestAccess,
    next: (r: DescribeConfigsRequest) => DescribeConfigsResponse,
  ): DescribeConfigsResponse {
    const isTopic = (r: DescribeConfigsRequest['resources'][number]) => r.resourceType === ConfigResourceType.Topic;
    const [allowed, refused] = split(req.resources, (r) =>
      isTopic(r) ? access.allows('describe-configs', 'topic', r.resourceName) : access.allows('describe-configs', 'cluster', CLUSTER_NAME),
    );
    const answered = allowed.length > 0 ? next({ ...req, resources: allowed }) : { results: [] };
    const denied = refused.map((r) => ({
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      errorCode: isTopic(r) ? TOPIC_DENIED : ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
      errorMessage: isTopic(r) ? 'Topic authorization failed.' : 'Cluster authorization failed.',
      configs: [],
    }));
    return { results: [...answered.results, ...denied] };
  },
};

function topicDenied(topic: Named, operation: string) {
  return {
    name: topic.name,
    errorCode: TOPIC_DENIED,
    errorMessage: `Authorization failed: ${operation} on topic ${topic.name} is not allowed.`,
  };
}
