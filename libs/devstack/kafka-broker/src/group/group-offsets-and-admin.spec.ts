import { ErrorCode } from '../protocol/error-codes';
import { GroupCoordinator, MAX_OFFSET_METADATA_LENGTH } from './group-coordinator';
import { type OffsetCommitRequest } from './group-types';
import { formStableGroup, InMemoryOffsetStore, joinRequest, startJoin, syncRequest } from './testing/group-test-kit';

const NOW = 1_700_000_000_000;
let store: InMemoryOffsetStore;
let coordinator: GroupCoordinator;

function commit(overrides: Partial<OffsetCommitRequest> = {}, offset = 42) {
  return coordinator.commitOffsets({
    groupId: 'g',
    generationId: -1,
    memberId: '',
    topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: offset, metadata: 'm' }] }],
    ...overrides,
  });
}

function commitError(overrides: Partial<OffsetCommitRequest> = {}, offset = 42): ErrorCode {
  return commit(overrides, offset).topics[0].partitions[0].errorCode;
}

beforeEach(() => {
  jest.useFakeTimers();
  store = new InMemoryOffsetStore();
  coordinator = new GroupCoordinator({ offsets: store, initialRebalanceDelayMs: 0, clock: () => NOW });
});

afterEach(() => {
  coordinator.close();
  expect(jest.getTimerCount()).toBe(0);
  jest.useRealTimers();
});

describe('offset commit and fetch', () => {
  it('answers -1 and empty metadata for partitions with nothing committed', () => {
    expect(coordinator.fetchOffsets('g', [{ name: 'orders', partitionIndexes: [0, 1] }])).toEqual({
      errorCode: ErrorCode.NONE,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, committedOffset: -1, metadata: '', errorCode: ErrorCode.NONE },
            { partitionIndex: 1, committedOffset: -1, metadata: '', errorCode: ErrorCode.NONE },
          ],
        },
      ],
    });
  });

  it('stores a member’s commit before answering and fetches it back', async () => {
    const group = await formStableGroup(coordinator, [{}]);
    const answer = coordinator.commitOffsets({
      groupId: 'g',
      generationId: group.generationId,
      memberId: group.leader,
      topics: [
        { name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 10, metadata: 'checkpoint' }] },
        { name: 'payments', partitions: [{ partitionIndex: 3, committedOffset: 7, metadata: null }] },
      ],
    });
    expect(answer).toEqual({
      topics: [
        { name: 'orders', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.NONE }] },
        { name: 'payments', partitions: [{ partitionIndex: 3, errorCode: ErrorCode.NONE }] },
      ],
    });
    expect(store.fetch('g', 'orders', 0)).toEqual({ offset: 10, metadata: 'checkpoint', commitTimestamp: NOW });

    const fetched = coordinator.fetchOffsets('g', [
      { name: 'orders', partitionIndexes: [0, 1] },
      { name: 'payments', partitionIndexes: [3] },
    ]);
    expect(fetched.topics).toEqual([
      {
        name: 'orders',
        partitions: [
          { partitionIndex: 0, committedOffset: 10, metadata: 'checkpoint', errorCode: ErrorCode.NONE },
          { partitionIndex: 1, committedOffset: -1, metadata: '', errorCode: ErrorCode.NONE },
        ],
      },
      {
        name: 'payments',
        partitions: [{ partitionIndex: 3, committedOffset: 7, metadata: '', errorCode: ErrorCode.NONE }],
      },
    ]);
  });

  it('answers every committed offset of the group for null topics', () => {
    const a = [
      { partitionIndex: 0, committedOffset: 1, metadata: '' },
      { partitionIndex: 2, committedOffset: 3, metadata: 'x' },
    ];
    commit({ topics: [{ name: 'a', partitions: a }] });
    commit({ topics: [{ name: 'b', partitions: [{ partitionIndex: 1, committedOffset: 5, metadata: null }] }] });
    commit({ groupId: 'someone-else' });
    expect(coordinator.fetchOffsets('g', null)).toEqual({
      errorCode: ErrorCode.NONE,
      topics: [
        {
          name: 'a',
          partitions: [
            { partitionIndex: 0, committedOffset: 1, metadata: '', errorCode: ErrorCode.NONE },
            { partitionIndex: 2, committedOffset: 3, metadata: 'x', errorCode: ErrorCode.NONE },
          ],
        },
        { name: 'b', partitions: [{ partitionIndex: 1, committedOffset: 5, metadata: '', errorCode: ErrorCode.NONE }] },
      ],
    });
    expect(coordinator.fetchOffsets('nobody', null)).toEqual({ errorCode: ErrorCode.NONE, topics: [] });
  });

  it('accepts generation -1 commits for unknown groups and Empty groups (admin resets)', async () => {
    expect(commitError({ groupId: 'fresh' })).toBe(ErrorCode.NONE);
    expect(store.fetch('fresh', 'orders', 0)?.offset).toBe(42);

    const group = await formStableGroup(coordinator, [{}]);
    coordinator.leaveGroup({ groupId: 'g', memberId: group.leader });
    expect(coordinator.describeGroups(['g'])[0].groupState).toBe('Empty');
    expect(commitError({ groupId: 'g' })).toBe(ErrorCode.NONE);
    expect(store.fetch('g', 'orders', 0)?.offset).toBe(42);
  });

  it('rejects commits from outside the current generation', async () => {
    const group = await formStableGroup(coordinator, [{}, {}]);
    const member = group.memberIds[1];
    // Admin resets need the group to be Empty.
    expect(commitError({ generationId: -1, memberId: '' })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(commitError({ generationId: 1, memberId: 'stranger' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(commitError({ generationId: 0, memberId: member })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(commitError({ generationId: 1, memberId: member })).toBe(ErrorCode.NONE);
    // A group nobody knows cannot have a generation; one known only by its offsets has no members.
    expect(commitError({ groupId: 'unknown', generationId: 3, memberId: 'x' })).toBe(ErrorCode.ILLEGAL_GENERATION);
    commit({ groupId: 'offsets-only' });
    expect(commitError({ groupId: 'offsets-only', generationId: 3, memberId: 'x' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(store.fetch('unknown', 'orders', 0)).toBeUndefined();
  });

  it('accepts the current generation while a rebalance is prepared, not while it completes', async () => {
    const group = await formStableGroup(coordinator, [{}, {}]);
    const [leader, follower] = group.memberIds;
    const newcomer = await startJoin(coordinator);
    expect(coordinator.describeGroups(['g'])[0].groupState).toBe('PreparingRebalance');
    // Consumers commit what they processed before giving their partitions up.
    expect(commitError({ generationId: 1, memberId: follower }, 5)).toBe(ErrorCode.NONE);
    expect(store.fetch('g', 'orders', 0)?.offset).toBe(5);

    await Promise.all([
      coordinator.joinGroup(joinRequest({ memberId: leader }), 5),
      coordinator.joinGroup(joinRequest({ memberId: follower }), 5),
      newcomer.join,
    ]);
    expect(coordinator.describeGroups(['g'])[0].groupState).toBe('CompletingRebalance');
    expect(commitError({ generationId: 2, memberId: follower }, 6)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(commitError({ generationId: 1, memberId: follower }, 6)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(store.fetch('g', 'orders', 0)?.offset).toBe(5);
  });

  it('rejects metadata over the limit for its partition only', () => {
    const answer = commit({
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, committedOffset: 1, metadata: 'x'.repeat(MAX_OFFSET_METADATA_LENGTH + 1) },
            { partitionIndex: 1, committedOffset: 2, metadata: 'x'.repeat(MAX_OFFSET_METADATA_LENGTH) },
          ],
        },
      ],
    });
    expect(answer.topics[0].partitions).toEqual([
      { partitionIndex: 0, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE },
      { partitionIndex: 1, errorCode: ErrorCode.NONE },
    ]);
    expect(store.fetch('g', 'orders', 0)).toBeUndefined();
    expect(store.fetch('g', 'orders', 1)?.offset).toBe(2);
  });

  it('keeps a committing member’s session alive', async () => {
    const group = await formStableGroup(coordinator, [{ sessionTimeoutMs: 6_000 }]);
    for (let i = 0; i < 3; i++) {
      await jest.advanceTimersByTimeAsync(5_000);
      expect(commitError({ generationId: 1, memberId: group.leader })).toBe(ErrorCode.NONE);
    }
    expect(coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: group.leader })).toBe(ErrorCode.NONE);
  });
});

describe('listing, describing and deleting groups', () => {
  it('lists groups with members, Empty groups and groups known only by their offsets', async () => {
    await formStableGroup(coordinator, [{ groupId: 'active' }]);
    commit({ groupId: 'offsets-only' });
    expect(coordinator.listGroups()).toEqual([
      { groupId: 'active', protocolType: 'consumer' },
      { groupId: 'offsets-only', protocolType: '' },
    ]);
  });

  it('describes each state with Kafka’s exact names', async () => {
    coordinator.close();
    coordinator = new GroupCoordinator({ offsets: store, initialRebalanceDelayMs: 3_000 });
    const state = () => coordinator.describeGroups(['g'])[0].groupState;

    expect(coordinator.describeGroups(['g'])[0]).toEqual({
      errorCode: ErrorCode.NONE,
      groupId: 'g',
      groupState: 'Dead',
      protocolType: '',
      protocolData: '',
      members: [],
    });
    const joining = await startJoin(coordinator, { clientId: 'svc', clientHost: '/10.0.0.7' });
    expect(state()).toBe('PreparingRebalance');
    // Until the group is Stable, Kafka shows neither metadata nor assignment.
    expect(coordinator.describeGroups(['g'])[0]).toMatchObject({
      protocolType: 'consumer',
      protocolData: '',
      members: [{ memberId: joining.memberId, clientId: 'svc', clientHost: '/10.0.0.7', memberMetadata: Buffer.alloc(0) }],
    });
    await jest.advanceTimersByTimeAsync(3_000);
    await joining.join;
    expect(state()).toBe('CompletingRebalance');
    await coordinator.syncGroup(syncRequest(joining.memberId, 1, { [joining.memberId]: 'partitions' }));
    expect(coordinator.describeGroups(['g'])[0]).toEqual({
      errorCode: ErrorCode.NONE,
      groupId: 'g',
      groupState: 'Stable',
      protocolType: 'consumer',
      protocolData: 'range',
      members: [
        {
          memberId: joining.memberId,
          groupInstanceId: null,
          clientId: 'svc',
          clientHost: '/10.0.0.7',
          memberMetadata: Buffer.from('range-metadata'),
          memberAssignment: Buffer.from('partitions'),
        },
      ],
    });
    coordinator.leaveGroup({ groupId: 'g', memberId: joining.memberId });
    expect(state()).toBe('Empty');
    expect(coordinator.deleteGroups(['g'])).toEqual([{ groupId: 'g', errorCode: ErrorCode.NONE }]);
    expect(state()).toBe('Dead');
  });

  it('describes a group known only by its offsets as Empty', () => {
    commit({ groupId: 'offsets-only' });
    expect(coordinator.describeGroups(['offsets-only'])[0]).toMatchObject({
      errorCode: ErrorCode.NONE,
      groupState: 'Empty',
      members: [],
    });
  });

  it('deletes Empty groups with their offsets, and refuses others', async () => {
    const busy = await formStableGroup(coordinator, [{ groupId: 'busy' }]);
    expect(commitError({ groupId: 'busy', generationId: 1, memberId: busy.leader })).toBe(ErrorCode.NONE);
    commit({ groupId: 'offsets-only' });
    const left = await formStableGroup(coordinator, [{ groupId: 'left' }]);
    expect(commitError({ groupId: 'left', generationId: 1, memberId: left.leader })).toBe(ErrorCode.NONE);
    coordinator.leaveGroup({ groupId: 'left', memberId: left.leader });

    expect(coordinator.deleteGroups(['busy', 'offsets-only', 'left', 'never-existed'])).toEqual([
      { groupId: 'busy', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'offsets-only', errorCode: ErrorCode.NONE },
      { groupId: 'left', errorCode: ErrorCode.NONE },
      { groupId: 'never-existed', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    expect(store.groups()).toEqual(['busy']);
    expect(coordinator.listGroups().map((g) => g.groupId)).toEqual(['busy']);
    const fetched = coordinator.fetchOffsets('left', [{ name: 'orders', partitionIndexes: [0] }]);
    expect(fetched.topics[0].partitions[0].committedOffset).toBe(-1);
    expect(coordinator.deleteGroups(['left'])).toEqual([{ groupId: 'left', errorCode: ErrorCode.GROUP_ID_NOT_FOUND }]);
  });
});

describe('after close', () => {
  it('answers COORDINATOR_NOT_AVAILABLE to offset and admin calls', () => {
    commit();
    coordinator.close();
    expect(commitError()).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const fetched = coordinator.fetchOffsets('g', [{ name: 'orders', partitionIndexes: [0] }]);
    expect(fetched.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(fetched.topics[0].partitions[0]).toMatchObject({
      committedOffset: -1,
      errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
    });
    expect(coordinator.describeGroups(['g'])[0].errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(coordinator.deleteGroups(['g'])).toEqual([{ groupId: 'g', errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }]);
    expect(coordinator.leaveGroup({ groupId: 'g', memberId: 'x' })).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(store.fetch('g', 'orders', 0)?.offset).toBe(42);
  });
});
