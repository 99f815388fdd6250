import { ErrorCode } from '../protocol/error-codes';
import { GroupCoordinator } from './group-coordinator';
import { formStableGroup, InMemoryOffsetStore, joinRequest, peek, PENDING, startJoin, syncRequest, text } from './testing/group-test-kit';

let coordinator: GroupCoordinator;

function createCoordinator(initialRebalanceDelayMs = 0): GroupCoordinator {
  coordinator = new GroupCoordinator({ offsets: new InMemoryOffsetStore(), initialRebalanceDelayMs });
  return coordinator;
}

function describeGroup(groupId = 'g') {
  return coordinator.describeGroups([groupId])[0];
}

function heartbeat(memberId: string, generationId = 1): ErrorCode {
  return coordinator.heartbeat({ groupId: 'g', generationId, memberId });
}

beforeEach(() => {
  jest.useFakeTimers();
  createCoordinator();
});

afterEach(() => {
  coordinator.close();
  expect(jest.getTimerCount()).toBe(0);
  jest.useRealTimers();
});

describe('joining', () => {
  it('takes a single member through join, sync and heartbeat', async () => {
    const { memberId, join } = await startJoin(coordinator, { clientId: 'svc' });
    expect(memberId).toMatch(/^svc-[0-9a-f-]{36}$/);
    await jest.advanceTimersByTimeAsync(1);

    const joined = await join;
    expect(joined).toEqual({
      errorCode: ErrorCode.NONE,
      generationId: 1,
      protocolName: 'range',
      leader: memberId,
      memberId,
      members: [{ memberId, groupInstanceId: null, metadata: Buffer.from('range-metadata') }],
    });
    expect(describeGroup().groupState).toBe('CompletingRebalance');

    const synced = await coordinator.syncGroup(syncRequest(memberId, 1, { [memberId]: 'mine' }));
    expect(synced.errorCode).toBe(ErrorCode.NONE);
    expect(text(synced)).toBe('mine');
    expect(describeGroup().groupState).toBe('Stable');
    expect(heartbeat(memberId)).toBe(ErrorCode.NONE);
  });

  it('answers MEMBER_ID_REQUIRED with a fresh id for v4+ and accepts the rejoin with it', async () => {
    const first = await coordinator.joinGroup(joinRequest({ clientId: 'kafkajs' }), 4);
    expect(first).toMatchObject({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, generationId: -1, members: [] });
    expect(first.memberId).toMatch(/^kafkajs-/);
    // A pending id is not a member yet.
    expect(describeGroup().members).toHaveLength(0);

    const rejoin = coordinator.joinGroup(joinRequest({ memberId: first.memberId }), 4);
    await jest.advanceTimersByTimeAsync(1);
    await expect(rejoin).resolves.toMatchObject({
      errorCode: ErrorCode.NONE,
      memberId: first.memberId,
      generationId: 1,
    });
  });

  it('creates the member directly for v0-v3 joins without an id', async () => {
    const join = coordinator.joinGroup(joinRequest(), 3);
    await jest.advanceTimersByTimeAsync(1);
    const joined = await join;
    expect(joined.errorCode).toBe(ErrorCode.NONE);
    expect(joined.memberId).toMatch(/^client-/);
    expect(joined.leader).toBe(joined.memberId);
  });

  it('forgets a handed-out id that does not come back within the session timeout', async () => {
    const first = await coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 6_000 }), 5);
    await jest.advanceTimersByTimeAsync(6_000);
    const late = await coordinator.joinGroup(joinRequest({ memberId: first.memberId }), 5);
    expect(late.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('rejects an unknown member id', async () => {
    await expect(coordinator.joinGroup(joinRequest({ memberId: 'nobody' }), 5)).resolves.toMatchObject({
      errorCode: ErrorCode.UNKNOWN_MEMBER_ID,
      memberId: 'nobody',
    });
    await formStableGroup(coordinator, [{}]);
    await expect(coordinator.joinGroup(joinRequest({ memberId: 'nobody' }), 5)).resolves.toMatchObject({
      errorCode: ErrorCode.UNKNOWN_MEMBER_ID,
    });
  });

  it.each([5_999, 1_800_001])('rejects session timeout %d with INVALID_SESSION_TIMEOUT', async (sessionTimeoutMs) => {
    const joined = await coordinator.joinGroup(joinRequest({ sessionTimeoutMs }), 5);
    expect(joined.errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect(coordinator.listGroups()).toEqual([]);
  });

  it('accepts the session timeout bounds themselves', async () => {
    for (const sessionTimeoutMs of [6_000, 1_800_000]) {
      const joined = await coordinator.joinGroup(joinRequest({ sessionTimeoutMs }), 5);
      expect(joined.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    }
  });

  it('rejects an empty group id', async () => {
    await expect(coordinator.joinGroup(joinRequest({ groupId: '' }), 5)).resolves.toMatchObject({
      errorCode: ErrorCode.INVALID_GROUP_ID,
    });
  });

  it('rejects a member whose protocols no member shares with INCONSISTENT_GROUP_PROTOCOL', async () => {
    await formStableGroup(coordinator, [{ protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] }]);
    const roundRobin = { protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }] };
    await expect(coordinator.joinGroup(joinRequest(roundRobin), 5)).resolves.toMatchObject({
      errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    });
    await expect(coordinator.joinGroup(joinRequest({ protocolType: 'connect' }), 5)).resolves.toMatchObject({
      errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    });
    // The id handed out before the mismatch is dropped rather than holding the group's rebalances.
    const required = await coordinator.joinGroup(joinRequest(), 5);
    const mismatched = await coordinator.joinGroup(joinRequest({ ...roundRobin, memberId: required.memberId }), 5);
    expect(mismatched.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(coordinator.leaveGroup({ groupId: 'g', memberId: required.memberId })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(describeGroup().groupState).toBe('Stable');
  });

  it('rejects an empty protocol list or protocol type', async () => {
    await expect(coordinator.joinGroup(joinRequest({ protocols: [] }), 5)).resolves.toMatchObject({
      errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    });
    await expect(coordinator.joinGroup(joinRequest({ protocolType: '' }), 5)).resolves.toMatchObject({
      errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    });
    expect(coordinator.listGroups()).toEqual([]);
  });
});

describe('a rebalance', () => {
  it('puts members joining together in one generation; only the leader gets their metadata', async () => {
    const metadata = [Buffer.from([0, 1, 2]), Buffer.from('reply-partition:7'), Buffer.from([255, 0])];
    const started = [];
    for (const bytes of metadata) {
      started.push(await startJoin(coordinator, { protocols: [{ name: 'range', metadata: bytes }] }));
    }
    await jest.advanceTimersByTimeAsync(1);
    const [leader, ...followers] = await Promise.all(started.map((s) => s.join));

    const ids = started.map((s) => s.memberId);
    for (const [i, joined] of [leader, ...followers].entries()) {
      expect(joined).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, leader: ids[0], memberId: ids[i] });
    }
    expect(leader.members).toEqual(ids.map((memberId, i) => ({ memberId, groupInstanceId: null, metadata: metadata[i] })));
    for (const follower of followers) expect(follower.members).toEqual([]);
  });

  it('holds followers’ SyncGroup until the leader’s assignment arrives', async () => {
    const started = [await startJoin(coordinator), await startJoin(coordinator), await startJoin(coordinator)];
    await jest.advanceTimersByTimeAsync(1);
    await Promise.all(started.map((s) => s.join));
    const [leader, second, third] = started.map((s) => s.memberId);

    const secondSync = coordinator.syncGroup(syncRequest(second, 1));
    const thirdSync = coordinator.syncGroup(syncRequest(third, 1));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(await peek(secondSync)).toBe(PENDING);
    expect(describeGroup().groupState).toBe('CompletingRebalance');

    // The leader leaves the third member out: it must still get bytes, empty ones.
    const leaderSync = await coordinator.syncGroup(syncRequest(leader, 1, { [leader]: 'L', [second]: 'S' }));
    expect(text(leaderSync)).toBe('L');
    expect(await secondSync).toEqual({ errorCode: ErrorCode.NONE, assignment: Buffer.from('S') });
    expect(await thirdSync).toEqual({ errorCode: ErrorCode.NONE, assignment: Buffer.alloc(0) });
    expect(describeGroup().groupState).toBe('Stable');

    // A late follower sync in a Stable group is answered at once.
    await expect(coordinator.syncGroup(syncRequest(second, 1))).resolves.toEqual({
      errorCode: ErrorCode.NONE,
      assignment: Buffer.from('S'),
    });
  });

  it('makes a Stable group rebalance when a fourth member joins', async () => {
    const group = await formStableGroup(coordinator, [{}, {}, {}]);
    const fourth = await startJoin(coordinator, { clientId: 'fourth' });
    expect(describeGroup().groupState).toBe('PreparingRebalance');

    const rejoins = [];
    for (const memberId of group.memberIds) {
      expect(heartbeat(memberId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
      rejoins.push(coordinator.joinGroup(joinRequest({ memberId }), 5));
    }
    const answers = await Promise.all([...rejoins, fourth.join]);
    for (const answer of answers) expect(answer).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2 });
    expect(answers[0].leader).toBe(group.leader);
    expect(answers[0].members.map((m) => m.memberId)).toEqual([...group.memberIds, fourth.memberId]);
    expect(answers[3].members).toEqual([]);
  });

  it('returns the current generation to a follower rejoining a Stable group unchanged', async () => {
    const group = await formStableGroup(coordinator, [{}, {}]);
    const follower = group.memberIds[1];
    const rejoined = await coordinator.joinGroup(joinRequest({ memberId: follower }), 5);
    expect(rejoined).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, leader: group.leader, members: [] });
    expect(describeGroup().groupState).toBe('Stable');
  });

  it('rebalances when a follower rejoins with new metadata', async () => {
    const group = await formStableGroup(coordinator, [{}, {}]);
    const changed = { protocols: [{ name: 'range', metadata: Buffer.from('now with another topic') }] };
    const followerJoin = coordinator.joinGroup(joinRequest({ ...changed, memberId: group.memberIds[1] }), 5);
    expect(describeGroup().groupState).toBe('PreparingRebalance');
    const leaderJoin = coordinator.joinGroup(joinRequest({ memberId: group.leader }), 5);
    const leaderAnswer = await leaderJoin;
    expect(leaderAnswer.generationId).toBe(2);
    expect(leaderAnswer.members[1].metadata).toEqual(Buffer.from('now with another topic'));
    await expect(followerJoin).resolves.toMatchObject({ generationId: 2 });
  });

  it('rebalances when the leader rejoins, as Kafka lets it force a new assignment', async () => {
    const group = await formStableGroup(coordinator, [{}, {}]);
    const leaderJoin = coordinator.joinGroup(joinRequest({ memberId: group.leader }), 5);
    expect(describeGroup().groupState).toBe('PreparingRebalance');
    expect(heartbeat(group.memberIds[1])).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const followerJoin = coordinator.joinGroup(joinRequest({ memberId: group.memberIds[1] }), 5);
    await expect(leaderJoin).resolves.toMatchObject({ generationId: 2, leader: group.leader });
    await expect(followerJoin).resolves.toMatchObject({ generationId: 2, members: [] });
  });

  it('chooses the protocol most members prefer among those all support', async () => {
    const p = (...names: string[]) => ({ protocols: names.map((name) => ({ name, metadata: Buffer.from(name) })) });
    const started = [
      await startJoin(coordinator, p('range', 'roundrobin', 'sticky')),
      await startJoin(coordinator, p('sticky', 'roundrobin', 'range')),
      await startJoin(coordinator, p('roundrobin', 'range')),
      await startJoin(coordinator, p('roundrobin', 'range', 'sticky')),
    ];
    await jest.advanceTimersByTimeAsync(1);
    const [leader] = await Promise.all(started.map((s) => s.join));
    // sticky is not supported by the third member, so the second votes roundrobin.
    expect(leader.protocolName).toBe('roundrobin');
    expect(leader.members.map((m) => m.metadata.toString())).toEqual(Array(4).fill('roundrobin'));
  });

  it('breaks a tie in favour of the earliest member’s preference', async () => {
    const p = (...names: string[]) => ({ protocols: names.map((name) => ({ name, metadata: Buffer.alloc(0) })) });
    const started = [await startJoin(coordinator, p('range', 'roundrobin')), await startJoin(coordinator, p('roundrobin', 'range'))];
    await jest.advanceTimersByTimeAsync(1);
    const [leader] = await Promise.all(started.map((s) => s.join));
    expect(leader.protocolName).toBe('range');
  });

  it('drops members that do not rejoin within the rebalance timeout', async () => {
    const timeouts = { rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 60_000 };
    const group = await formStableGroup(coordinator, [timeouts, timeouts, timeouts]);
    const [leader, second, third] = group.memberIds;
    // The leader forces a rebalance; the second member rejoins, the third never does.
    const leaderJoin = coordinator.joinGroup(joinRequest({ ...timeouts, memberId: leader }), 5);
    const secondJoin = coordinator.joinGroup(joinRequest({ ...timeouts, memberId: second }), 5);
    await jest.advanceTimersByTimeAsync(19_999);
    expect(await peek(leaderJoin)).toBe(PENDING);

    await jest.advanceTimersByTimeAsync(1);
    const answer = await leaderJoin;
    expect(answer).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2, leader });
    expect(answer.members.map((m) => m.memberId)).toEqual([leader, second]);
    await expect(secondJoin).resolves.toMatchObject({ generationId: 2 });
    expect(heartbeat(third)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('elects a new leader when the old one did not rejoin', async () => {
    const group = await formStableGroup(coordinator, [{ rebalanceTimeoutMs: 10_000 }, { rebalanceTimeoutMs: 10_000 }]);
    const follower = group.memberIds[1];
    const followerJoin = coordinator.joinGroup(
      joinRequest({
        memberId: follower,
        rebalanceTimeoutMs: 10_000,
        protocols: [{ name: 'range', metadata: Buffer.from('changed') }],
      }),
      5,
    );
    // The old leader keeps heartbeating but never rejoins.
    for (let t = 0; t < 10_000; t += 3_000) {
      heartbeat(group.leader);
      await jest.advanceTimersByTimeAsync(3_000);
    }
    const answer = await followerJoin;
    expect(answer).toMatchObject({ generationId: 2, leader: follower });
    expect(answer.members.map((m) => m.memberId)).toEqual([follower]);
  });

  it('answers a join retried while the first is still held, both with the new generation', async () => {
    const group = await formStableGroup(coordinator, [{}, {}]);
    const [leader, follower] = group.memberIds;
    const first = coordinator.joinGroup(joinRequest({ memberId: leader }), 5);
    const retried = coordinator.joinGroup(joinRequest({ memberId: leader }), 5);
    await coordinator.joinGroup(joinRequest({ memberId: follower }), 5);
    const [a, b] = await Promise.all([first, retried]);
    expect(a).toEqual(b);
    expect(a).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2, leader });
  });

  it('waits for a handed-out id to rejoin, but only until it expires', async () => {
    const group = await formStableGroup(coordinator, [{ rebalanceTimeoutMs: 60_000 }]);
    const newcomer = await coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 6_000 }), 5);
    expect(newcomer.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    const leaderJoin = coordinator.joinGroup(joinRequest({ memberId: group.leader, rebalanceTimeoutMs: 60_000 }), 5);
    await jest.advanceTimersByTimeAsync(5_999);
    expect(await peek(leaderJoin)).toBe(PENDING);
    await jest.advanceTimersByTimeAsync(1);
    await expect(leaderJoin).resolves.toMatchObject({ generationId: 2 });
  });
});

describe('the initial rebalance delay', () => {
  it('gathers the first members for the delay, extended while new ones arrive', async () => {
    createCoordinator(3_000);
    const first = await startJoin(coordinator);
    expect(describeGroup().groupState).toBe('PreparingRebalance');
    await jest.advanceTimersByTimeAsync(2_000);
    const second = await startJoin(coordinator);
    // The first delay ends at 3 s; the second member bought another 3 s.
    await jest.advanceTimersByTimeAsync(3_999);
    expect(await peek(first.join)).toBe(PENDING);
    await jest.advanceTimersByTimeAsync(1);
    const [a, b] = await Promise.all([first.join, second.join]);
    expect(a.generationId).toBe(1);
    expect(a.members.map((m) => m.memberId)).toEqual([first.memberId, second.memberId]);
    expect(b).toMatchObject({ generationId: 1, leader: first.memberId });
  });

  it('never extends past the rebalance timeout', async () => {
    createCoordinator(3_000);
    const first = await startJoin(coordinator, { rebalanceTimeoutMs: 5_000 });
    await jest.advanceTimersByTimeAsync(1_000);
    await startJoin(coordinator, { rebalanceTimeoutMs: 5_000 });
    await jest.advanceTimersByTimeAsync(3_000);
    await startJoin(coordinator, { rebalanceTimeoutMs: 5_000 });
    await jest.advanceTimersByTimeAsync(999);
    expect(await peek(first.join)).toBe(PENDING);
    await jest.advanceTimersByTimeAsync(1);
    expect((await first.join).members).toHaveLength(3);
  });

  it('does not delay rebalances of a group that has members', async () => {
    createCoordinator(3_000);
    const first = await startJoin(coordinator);
    await jest.advanceTimersByTimeAsync(3_000);
    await first.join;
    await coordinator.syncGroup(syncRequest(first.memberId, 1));
    const second = await startJoin(coordinator);
    const rejoin = coordinator.joinGroup(joinRequest({ memberId: first.memberId }), 5);
    await expect(Promise.all([rejoin, second.join])).resolves.toMatchObject([{ generationId: 2 }, { generationId: 2 }]);
  });
});

describe('heartbeats', () => {
  it('answer UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION and REBALANCE_IN_PROGRESS as Kafka does', async () => {
    const group = await formStableGroup(coordinator, [{}]);
    const hb = (generationId: number, memberId = group.leader, groupId = 'g') => coordinator.heartbeat({ groupId, generationId, memberId });
    expect(hb(1)).toBe(ErrorCode.NONE);
    expect(hb(1, 'stranger')).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(hb(1, group.leader, 'other-group')).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(hb(0)).toBe(ErrorCode.ILLEGAL_GENERATION);
    await startJoin(coordinator);
    expect(hb(1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('keep a member alive, REBALANCE_IN_PROGRESS answers included', async () => {
    const patient = { sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 60_000 };
    const group = await formStableGroup(coordinator, [{ sessionTimeoutMs: 6_000 }, patient]);
    const [first, second] = group.memberIds;
    // The second member's rejoin with new metadata starts a rebalance that waits for the first member.
    const changed = [{ name: 'range', metadata: Buffer.from('x') }];
    const secondJoin = coordinator.joinGroup(joinRequest({ ...patient, memberId: second, protocols: changed }), 5);
    for (let i = 0; i < 5; i++) {
      await jest.advanceTimersByTimeAsync(5_000);
      expect(heartbeat(first)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    }
    expect(await peek(secondJoin)).toBe(PENDING);
    const firstJoin = coordinator.joinGroup(joinRequest({ memberId: first, sessionTimeoutMs: 6_000 }), 5);
    const answers = await Promise.all([firstJoin, secondJoin]);
    expect(answers.map((a) => a.generationId)).toEqual([2, 2]);
  });
});

describe('members leaving', () => {
  it('rebalances the others when a member leaves', async () => {
    const group = await formStableGroup(coordinator, [{}, {}, {}]);
    const [leader, second, third] = group.memberIds;
    expect(coordinator.leaveGroup({ groupId: 'g', memberId: third })).toBe(ErrorCode.NONE);
    expect(heartbeat(leader)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const joins = [leader, second].map((memberId) => coordinator.joinGroup(joinRequest({ memberId }), 5));
    const [answer] = await Promise.all(joins);
    expect(answer.generationId).toBe(2);
    expect(answer.members.map((m) => m.memberId)).toEqual([leader, second]);
    expect(coordinator.leaveGroup({ groupId: 'g', memberId: third })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('answers the leaver’s own pending join and completes the others’ without it', async () => {
    const group = await formStableGroup(coordinator, [{}, {}]);
    const [leader, follower] = group.memberIds;
    const changed = [{ name: 'range', metadata: Buffer.from('changed') }];
    const followerJoin = coordinator.joinGroup(joinRequest({ memberId: follower, protocols: changed }), 5);
    // The leader has not rejoined yet, so both joins would wait for it ...
    expect(await peek(followerJoin)).toBe(PENDING);
    const newcomer = await startJoin(coordinator);
    expect(coordinator.leaveGroup({ groupId: 'g', memberId: follower })).toBe(ErrorCode.NONE);
    await expect(followerJoin).resolves.toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, memberId: follower });
    // ... and once the leader rejoins, the generation forms without the leaver.
    const leaderJoin = await coordinator.joinGroup(joinRequest({ memberId: leader }), 5);
    expect(leaderJoin.members.map((m) => m.memberId)).toEqual([leader, newcomer.memberId]);
    await expect(newcomer.join).resolves.toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2 });
  });

  it('answers pending syncs when a member leaves before the leader assigned', async () => {
    const started = [await startJoin(coordinator), await startJoin(coordinator), await startJoin(coordinator)];
    await jest.advanceTimersByTimeAsync(1);
    await Promise.all(started.map((s) => s.join));
    const [, second, third] = started.map((s) => s.memberId);
    const secondSync = coordinator.syncGroup(syncRequest(second, 1));
    const thirdSync = coordinator.syncGroup(syncRequest(third, 1));
    expect(coordinator.leaveGroup({ groupId: 'g', memberId: third })).toBe(ErrorCode.NONE);
    await expect(thirdSync).resolves.toEqual({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, assignment: Buffer.alloc(0) });
    await expect(secondSync).resolves.toEqual({
      errorCode: ErrorCode.REBALANCE_IN_PROGRESS,
      assignment: Buffer.alloc(0),
    });
    expect(describeGroup().groupState).toBe('PreparingRebalance');
  });

  it('leaves the group Empty, with a new generation, when the last member leaves', async () => {
    const group = await formStableGroup(coordinator, [{}]);
    expect(coordinator.leaveGroup({ groupId: 'g', memberId: group.leader })).toBe(ErrorCode.NONE);
    expect(describeGroup()).toMatchObject({ groupState: 'Empty', protocolType: 'consumer', members: [] });
    const next = await startJoin(coordinator);
    await jest.advanceTimersByTimeAsync(1);
    await expect(next.join).resolves.toMatchObject({ generationId: 3, leader: next.memberId });
  });

  it('lets a handed-out id leave before it joined', async () => {
    const required = await coordinator.joinGroup(joinRequest(), 5);
    expect(coordinator.leaveGroup({ groupId: 'g', memberId: required.memberId })).toBe(ErrorCode.NONE);
    expect(coordinator.leaveGroup({ groupId: 'g', memberId: required.memberId })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(coordinator.leaveGroup({ groupId: 'unknown', memberId: 'x' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });
});

describe('session expiry', () => {
  it('removes a silent member and rebalances the others', async () => {
    const group = await formStableGroup(coordinator, [
      { sessionTimeoutMs: 30_000 },
      { sessionTimeoutMs: 30_000 },
      { sessionTimeoutMs: 6_000 },
    ]);
    const [leader, second, silent] = group.memberIds;
    await jest.advanceTimersByTimeAsync(5_999);
    expect(heartbeat(leader)).toBe(ErrorCode.NONE);
    await jest.advanceTimersByTimeAsync(1);
    expect(heartbeat(leader)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(heartbeat(silent)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const joins = [leader, second].map((memberId) => coordinator.joinGroup(joinRequest({ memberId, sessionTimeoutMs: 30_000 }), 5));
    const [answer] = await Promise.all(joins);
    expect(answer.members.map((m) => m.memberId)).toEqual([leader, second]);
  });

  it('answers followers’ held syncs when the leader dies before assigning', async () => {
    const started = [await startJoin(coordinator, { sessionTimeoutMs: 6_000 }), await startJoin(coordinator)];
    await jest.advanceTimersByTimeAsync(1);
    await Promise.all(started.map((s) => s.join));
    const followerSync = coordinator.syncGroup(syncRequest(started[1].memberId, 1));
    await jest.advanceTimersByTimeAsync(5_999);
    expect(await peek(followerSync)).toBe(PENDING);
    await jest.advanceTimersByTimeAsync(1);
    await expect(followerSync).resolves.toMatchObject({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS });
  });

  it('removes members that took a generation but never synced once the rebalance timeout passes', async () => {
    // The leader keeps heartbeating but never sends its assignment.
    const started = [
      await startJoin(coordinator, { rebalanceTimeoutMs: 20_000 }),
      await startJoin(coordinator, { rebalanceTimeoutMs: 20_000 }),
    ];
    await jest.advanceTimersByTimeAsync(1);
    await Promise.all(started.map((s) => s.join));
    const [leader, follower] = started.map((s) => s.memberId);
    const followerSync = coordinator.syncGroup(syncRequest(follower, 1));
    for (let t = 0; t < 20_000; t += 3_000) {
      expect(heartbeat(leader)).toBe(ErrorCode.NONE);
      await jest.advanceTimersByTimeAsync(3_000);
    }
    await expect(followerSync).resolves.toMatchObject({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS });
    expect(heartbeat(leader)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const rejoin = await coordinator.joinGroup(joinRequest({ memberId: follower, rebalanceTimeoutMs: 20_000 }), 5);
    expect(rejoin).toMatchObject({ generationId: 2, leader: follower });
  });
});

describe('SyncGroup errors', () => {
  it('answers UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION and REBALANCE_IN_PROGRESS', async () => {
    const group = await formStableGroup(coordinator, [{}]);
    const sync = (memberId: string, generationId: number, groupId = 'g') =>
      coordinator.syncGroup(syncRequest(memberId, generationId, {}, groupId));
    await expect(sync('stranger', 1)).resolves.toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
    await expect(sync(group.leader, 1, 'other')).resolves.toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
    await expect(sync(group.leader, 7)).resolves.toMatchObject({ errorCode: ErrorCode.ILLEGAL_GENERATION });
    await startJoin(coordinator);
    await expect(sync(group.leader, 1)).resolves.toEqual({
      errorCode: ErrorCode.REBALANCE_IN_PROGRESS,
      assignment: Buffer.alloc(0),
    });
  });
});

describe('close', () => {
  it('answers held joins and syncs with COORDINATOR_NOT_AVAILABLE and stops every timer', async () => {
    createCoordinator(3_000);
    const waitingJoin = await startJoin(coordinator);
    await coordinator.joinGroup(joinRequest({ groupId: 'pending-only' }), 5);

    const other = new GroupCoordinator({ offsets: new InMemoryOffsetStore(), initialRebalanceDelayMs: 0 });
    const started = [await startJoin(other), await startJoin(other)];
    await jest.advanceTimersByTimeAsync(1);
    await Promise.all(started.map((s) => s.join));
    const waitingSync = other.syncGroup(syncRequest(started[1].memberId, 1));
    expect(jest.getTimerCount()).toBeGreaterThan(0);

    coordinator.close();
    other.close();
    await expect(waitingJoin.join).resolves.toMatchObject({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE });
    await expect(waitingSync).resolves.toEqual({
      errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
      assignment: Buffer.alloc(0),
    });
    expect(jest.getTimerCount()).toBe(0);

    await expect(coordinator.joinGroup(joinRequest(), 5)).resolves.toMatchObject({
      errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
    });
    expect(other.heartbeat({ groupId: 'g', generationId: 1, memberId: started[0].memberId })).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });
});
