import { type KafkaAcl } from '@flywheel/contracts';
import { ErrorCode } from '../protocol/error-codes';
import {
  ConfigResourceType,
  type FetchRequest,
  type MetadataRequest,
  type OffsetCommitRequest,
  type ProduceRequest,
} from '../protocol/messages';
import { AccessGuard } from './access-guard';
import { KafkaAuthorizer } from './authorizer';
import { ConnectionAccess } from './request-access';

/** The guard with the real authoriser, for one principal; `warnings` collects the refusal log. */
function accessFor(principal: string, acls: KafkaAcl[], superUsers: string[] = []) {
  const warnings: Array<Record<string, unknown>> = [];
  const logger = { warn: (_m: string, fields?: Record<string, unknown>) => warnings.push(fields ?? {}) };
  const access = new ConnectionAccess(new KafkaAuthorizer({ acls, superUsers }), () => principal, logger, '127.0.0.1');
  return { access, warnings };
}

const allow = (
  resource: KafkaAcl['resource'],
  name: string,
  operation: KafkaAcl['operation'],
  pattern: KafkaAcl['pattern'] = 'literal',
): KafkaAcl => ({
  principal: 'User:svc',
  resource,
  pattern,
  name,
  operation,
});

const produceRequest = (topics: string[], acks = 1): ProduceRequest => ({
  transactionalId: null,
  acks,
  timeoutMs: 1000,
  topics: topics.map((name) => ({ name, partitions: [{ index: 0, records: Buffer.alloc(1) }] })),
});

const accepted = (req: ProduceRequest) => ({
  topics: req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({
      index: p.index,
      errorCode: ErrorCode.NONE,
      baseOffset: 0,
      logAppendTimeMs: -1,
      logStartOffset: 0,
    })),
  })),
});

describe('AccessGuard (Kafka request authorisation)', () => {
  it('Produce: Write on the topic, TOPIC_AUTHORIZATION_FAILED per partition of the others; only allowed topics reach the log', () => {
    const { access } = accessFor('User:svc', [allow('topic', 'mine', 'write')]);
    const seen: string[] = [];
    const response = AccessGuard.produce(produceRequest(['mine', 'theirs']), access, (r) => {
      seen.push(...r.topics.map((t) => t.name));
      return accepted(r);
    });
    expect(seen).toEqual(['mine']);
    const codes = Object.fromEntries(response!.topics.map((t) => [t.name, t.partitions[0].errorCode]));
    expect(codes).toEqual({ mine: ErrorCode.NONE, theirs: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
  });

  it('Produce: Read does not allow writing; acks=0 still answers nothing', () => {
    const { access } = accessFor('User:svc', [allow('topic', 't', 'read')]);
    let called = false;
    const response = AccessGuard.produce(produceRequest(['t'], 0), access, (r) => ((called = true), accepted(r)));
    expect(response).toBeNull();
    expect(called).toBe(false);
  });

  it('Produce: a transactional id needs Write on it', () => {
    const { access } = accessFor('User:svc', [allow('topic', 't', 'write')]);
    const response = AccessGuard.produce({ ...produceRequest(['t']), transactionalId: 'tx' }, access, accepted);
    expect(response!.topics[0].partitions[0].errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  });

  it('logs each refusal once per connection, with principal, operation and resource', () => {
    const { access, warnings } = accessFor('User:svc', []);
    AccessGuard.produce(produceRequest(['t']), access, accepted);
    AccessGuard.produce(produceRequest(['t']), access, accepted);
    expect(warnings).toEqual([expect.objectContaining({ principal: 'User:svc', operation: 'write', resource: 'topic', name: 't' })]);
  });

  it('Fetch: Read on the topic', async () => {
    const { access } = accessFor('User:svc', [allow('topic', 'in', 'read')]);
    const req: FetchRequest = {
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1000,
      isolationLevel: 0,
      topics: ['in', 'out'].map((topic) => ({ topic, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 100 }] })),
    };
    const response = await AccessGuard.fetch(req, access, async (r) => ({
      topics: r.topics.map((t) => ({
        topic: t.topic,
        partitions: [
          { partitionIndex: 0, errorCode: ErrorCode.NONE, highWatermark: 0, lastStableOffset: 0, logStartOffset: 0, records: null },
        ],
      })),
    }));
    const codes = Object.fromEntries(response.topics.map((t) => [t.topic, t.partitions[0].errorCode]));
    expect(codes).toEqual({ in: ErrorCode.NONE, out: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
    expect(response.topics[1].partitions[0].records).toEqual(Buffer.alloc(0));
  });

  it('ListOffsets: Describe on the topic (implied by Read)', () => {
    const { access } = accessFor('User:svc', [allow('topic', 'in', 'read')]);
    const response = AccessGuard.listOffsets(
      { isolationLevel: 0, topics: ['in', 'out'].map((name) => ({ name, partitions: [{ partitionIndex: 0, timestamp: -1 }] })) },
      access,
      (r) => ({
        topics: r.topics.map((t) => ({ name: t.name, partitions: [{ partitionIndex: 0, errorCode: 0, timestamp: -1, offset: 3 }] })),
      }),
    );
    expect(response.topics.map((t) => [t.name, t.partitions[0].errorCode])).toEqual([
      ['in', ErrorCode.NONE],
      ['out', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ]);
  });

  describe('Metadata', () => {
    const answer = (r: MetadataRequest, names: string[]) => ({
      brokers: [],
      clusterId: 'c',
      controllerId: 1,
      topics: (r.topics ?? names).map((name) => ({ errorCode: ErrorCode.NONE, name, partitions: [] })),
    });

    it('lists only describable topics when asked for all, without logging the others', () => {
      const { access, warnings } = accessFor('User:svc', [allow('topic', 'a', 'write')]);
      const response = AccessGuard.metadata({ topics: null, allowAutoTopicCreation: true }, access, (r) => answer(r, ['a', 'b', 'c']));
      expect(response.topics.map((t) => t.name)).toEqual(['a']);
      expect(warnings).toEqual([]);
    });

    it('refuses named topics that may not be described, without looking them up', () => {
      const { access } = accessFor('User:svc', [allow('topic', 'a', 'describe')]);
      const asked: Array<string[] | null> = [];
      const response = AccessGuard.metadata({ topics: ['a', 'secret'], allowAutoTopicCreation: true }, access, (r) => {
        asked.push(r.topics);
        return answer(r, []);
      });
      expect(asked).toEqual([['a']]);
      expect(response.topics.map((t) => [t.name, t.errorCode])).toEqual([
        ['a', ErrorCode.NONE],
        ['secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      ]);
    });

    it('allows auto-creation with Create on the cluster or on the topic only', () => {
      const mayCreate = (acls: KafkaAcl[], topic: string) => {
        let result: boolean | undefined;
        AccessGuard.metadata({ topics: [topic], allowAutoTopicCreation: true }, accessFor('User:svc', acls).access, (r, may) => {
          result = may(topic);
          return answer(r, []);
        });
        return result;
      };
      expect(mayCreate([allow('topic', 'new', 'write')], 'new')).toBe(false);
      expect(mayCreate([allow('topic', 'new', 'write'), allow('topic', 'new', 'create')], 'new')).toBe(true);
      expect(mayCreate([allow('topic', 'new', 'write'), allow('cluster', 'kafka-cluster', 'create')], 'new')).toBe(true);
    });
  });

  it('InitProducerId: IdempotentWrite on the cluster, or Write on some topic', () => {
    const req = { transactionalId: null, transactionTimeoutMs: 0 };
    expect(AccessGuard.initProducerId(req, accessFor('User:svc', []).access)).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    expect(AccessGuard.initProducerId(req, accessFor('User:svc', [allow('topic', 't', 'read')]).access)).toBe(
      ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    );
    expect(AccessGuard.initProducerId(req, accessFor('User:svc', [allow('topic', 'out.', 'write', 'prefixed')]).access)).toBe(
      ErrorCode.NONE,
    );
    expect(AccessGuard.initProducerId(req, accessFor('User:svc', [allow('cluster', 'kafka-cluster', 'idempotent-write')]).access)).toBe(
      ErrorCode.NONE,
    );
    const tx = { transactionalId: 'tx', transactionTimeoutMs: 0 };
    expect(AccessGuard.initProducerId(tx, accessFor('User:svc', [allow('topic', 't', 'write')]).access)).toBe(
      ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    );
  });

  it('FindCoordinator: Describe on the group (or the transactional id)', () => {
    const { access } = accessFor('User:svc', [allow('group', 'g', 'read')]);
    expect(AccessGuard.findCoordinator({ key: 'g', keyType: 0 }, access)).toBe(ErrorCode.NONE);
    expect(AccessGuard.findCoordinator({ key: 'other', keyType: 0 }, access)).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    expect(AccessGuard.findCoordinator({ key: 'g', keyType: 1 }, access)).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  });

  it('JoinGroup, SyncGroup, Heartbeat, LeaveGroup: Read on the group (Describe is not enough)', () => {
    expect(AccessGuard.groupMembership('g', accessFor('User:svc', [allow('group', 'g', 'read')]).access)).toBe(ErrorCode.NONE);
    expect(AccessGuard.groupMembership('g', accessFor('User:svc', [allow('group', 'g', 'describe')]).access)).toBe(
      ErrorCode.GROUP_AUTHORIZATION_FAILED,
    );
  });

  it('OffsetCommit: Read on the group, then Read on each topic', () => {
    const req: OffsetCommitRequest = {
      groupId: 'g',
      generationId: 1,
      memberId: 'm',
      topics: ['in', 'out'].map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 5, metadata: null }] })),
    };
    const commit = (r: OffsetCommitRequest) => ({
      topics: r.topics.map((t) => ({ name: t.name, partitions: [{ partitionIndex: 0, errorCode: 0 }] })),
    });
    const codes = (acls: KafkaAcl[]) =>
      Object.fromEntries(
        AccessGuard.offsetCommit(req, accessFor('User:svc', acls).access, commit).topics.map((t) => [t.name, t.partitions[0].errorCode]),
      );
    expect(codes([allow('topic', 'in', 'read')])).toEqual({
      in: ErrorCode.GROUP_AUTHORIZATION_FAILED,
      out: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    });
    expect(codes([allow('group', 'g', 'read'), allow('topic', 'in', 'read')])).toEqual({
      in: ErrorCode.NONE,
      out: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    });
  });

  it('OffsetFetch: Describe on the group and on each topic; all-topics answers only describable ones', () => {
    const stored = {
      errorCode: 0,
      topics: ['in', 'out'].map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 1, metadata: '', errorCode: 0 }] })),
    };
    const denied = AccessGuard.offsetFetch({ groupId: 'g', topics: null }, accessFor('User:svc', []).access, () => stored);
    expect(denied.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const { access } = accessFor('User:svc', [allow('group', 'g', 'describe'), allow('topic', 'in', 'describe')]);
    expect(AccessGuard.offsetFetch({ groupId: 'g', topics: null }, access, () => stored).topics.map((t) => t.name)).toEqual(['in']);
    const named = AccessGuard.offsetFetch({ groupId: 'g', topics: [{ name: 'out', partitionIndexes: [0] }] }, access, (r) => ({
      errorCode: 0,
      topics: stored.topics.filter((t) => r.topics!.some((x) => x.name === t.name)),
    }));
    expect(named.topics).toEqual([
      { name: 'out', partitions: [expect.objectContaining({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })] },
    ]);
  });

  it('ListGroups: every group with Describe on the cluster, else the describable ones', () => {
    const groups = [{ groupId: 'a' }, { groupId: 'b' }];
    expect(AccessGuard.listGroups(groups, accessFor('User:svc', [allow('group', 'a', 'read')]).access)).toEqual([{ groupId: 'a' }]);
    expect(AccessGuard.listGroups(groups, accessFor('User:svc', [allow('cluster', 'kafka-cluster', 'describe')]).access)).toEqual(groups);
  });

  it('DescribeGroups: Describe on the group; DeleteGroups: Delete on the group', () => {
    const { access } = accessFor('User:svc', [allow('group', 'a', 'describe')]);
    const described = AccessGuard.describeGroups(['a', 'b'], access, (ids) =>
      ids.map((groupId) => ({ errorCode: 0, groupId, groupState: 'Empty', protocolType: '', protocolData: '', members: [] })),
    );
    expect(described.map((g) => [g.groupId, g.errorCode])).toEqual([
      ['a', ErrorCode.NONE],
      ['b', ErrorCode.GROUP_AUTHORIZATION_FAILED],
    ]);
    const deleted = AccessGuard.deleteGroups(['a'], access, (ids) => ids.map((groupId) => ({ groupId, errorCode: 0 })));
    expect(deleted).toEqual([{ groupId: 'a', errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }]);
  });

  it('CreateTopics: Create on the cluster or the topic; DeleteTopics: Delete; CreatePartitions: Alter', () => {
    const topic = (name: string) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] });
    const { access } = accessFor('User:svc', [allow('topic', 'team.', 'create', 'prefixed'), allow('topic', 'team.a', 'delete')]);
    const created = AccessGuard.createTopics(
      { topics: [topic('team.a'), topic('other')], timeoutMs: 0, validateOnly: false },
      access,
      (r) => ({
        topics: r.topics.map((t) => ({ name: t.name, errorCode: 0, errorMessage: null })),
      }),
    );
    expect(created.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['team.a', ErrorCode.NONE],
      ['other', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ]);
    const deleted = AccessGuard.deleteTopics({ topicNames: ['team.a', 'team.b'], timeoutMs: 0 }, access, (r) => ({
      responses: r.topicNames.map((name) => ({ name, errorCode: 0 })),
    }));
    expect(deleted.responses.map((t) => [t.name, t.errorCode])).toEqual([
      ['team.a', ErrorCode.NONE],
      ['team.b', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ]);
    const grown = AccessGuard.createPartitions(
      { topics: [{ name: 'team.a', count: 2 }], timeoutMs: 0, validateOnly: false },
      access,
      () => ({ results: [] }),
    );
    expect(grown.results[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  });

  it('DescribeConfigs: DescribeConfigs on the topic, or on the cluster for the broker', () => {
    const { access } = accessFor('User:svc', [allow('topic', 't', 'alter-configs')]);
    const response = AccessGuard.describeConfigs(
      {
        resources: [
          { resourceType: ConfigResourceType.Topic, resourceName: 't', configurationKeys: null },
          { resourceType: ConfigResourceType.Broker, resourceName: '1', configurationKeys: null },
        ],
        includeSynonyms: false,
      },
      access,
      (r) => ({ results: r.resources.map((x) => ({ ...x, errorCode: 0, errorMessage: null, configs: [] })) }),
    );
    expect(response.results.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.CLUSTER_AUTHORIZATION_FAILED]);
  });

  it('lets a super user through everything', () => {
    const { access } = accessFor('User:admin', [], ['User:admin']);
    expect(AccessGuard.groupMembership('any', access)).toBe(ErrorCode.NONE);
    expect(AccessGuard.produce(produceRequest(['any']), access, accepted)!.topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
  });
});
