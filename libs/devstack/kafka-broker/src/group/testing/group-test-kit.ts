import { ErrorCode } from '../../protocol/error-codes';
import { type CommittedOffset, type OffsetCommitEntry, type OffsetStore } from '../../storage/offset-store';
import { type GroupCoordinator } from '../group-coordinator';
import { type JoinGroupRequest, type JoinGroupResponse, type SyncGroupResponse } from '../group-types';

/** Offsets in a map, for coordinator tests that do not care about durability. */
export class InMemoryOffsetStore implements OffsetStore {
  private readonly byGroup = new Map<string, Map<string, { topic: string; partition: number } & CommittedOffset>>();

  commit(group: string, entries: OffsetCommitEntry[], timestamp: number): void {
    let offsets = this.byGroup.get(group);
    if (!offsets) this.byGroup.set(group, (offsets = new Map()));
    for (const e of entries) {
      offsets.set(`${e.topic}\0${e.partition}`, {
        topic: e.topic,
        partition: e.partition,
        offset: e.offset,
        metadata: e.metadata,
        commitTimestamp: timestamp,
      });
    }
  }

  fetch(group: string, topic: string, partition: number): CommittedOffset | undefined {
    const stored = this.byGroup.get(group)?.get(`${topic}\0${partition}`);
    return stored && { offset: stored.offset, metadata: stored.metadata, commitTimestamp: stored.commitTimestamp };
  }

  listForGroup(group: string): Array<{ topic: string; partition: number } & CommittedOffset> {
    return [...(this.byGroup.get(group)?.values() ?? [])];
  }

  groups(): string[] {
    return [...this.byGroup.keys()];
  }

  deleteGroup(group: string): void {
    this.byGroup.delete(group);
  }

  deleteTopic(topic: string): void {
    for (const offsets of this.byGroup.values()) {
      for (const [key, stored] of offsets) if (stored.topic === topic) offsets.delete(key);
    }
  }

  close(): void {
    this.byGroup.clear();
  }
}

export const PENDING = Symbol('pending');

/** The promise's value if it has settled by now, else PENDING, without waiting for it. */
export function peek<T>(promise: Promise<T>): Promise<T | typeof PENDING> {
  return Promise.race([promise, Promise.resolve(PENDING)]);
}

export function joinRequest(overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: 'g',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('range-metadata') }],
    clientId: 'client',
    clientHost: '/127.0.0.1',
    ...overrides,
  };
}

/**
 * A v5 client's first join: the MEMBER_ID_REQUIRED round trip, then the real join, returned
 * unanswered because it waits for the rebalance.
 */
export async function startJoin(
  coordinator: GroupCoordinator,
  overrides: Partial<JoinGroupRequest> = {},
): Promise<{ memberId: string; join: Promise<JoinGroupResponse> }> {
  const required = await coordinator.joinGroup(joinRequest(overrides), 5);
  if (required.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) {
    throw new Error(`expected MEMBER_ID_REQUIRED, got ${required.errorCode}`);
  }
  const memberId = required.memberId;
  return { memberId, join: coordinator.joinGroup(joinRequest({ ...overrides, memberId }), 5) };
}

export function syncRequest(
  memberId: string,
  generationId: number,
  assignments: Record<string, string> = {},
  groupId = 'g',
): Parameters<GroupCoordinator['syncGroup']>[0] {
  return {
    groupId,
    generationId,
    memberId,
    groupInstanceId: null,
    assignments: Object.entries(assignments).map(([id, bytes]) => ({ memberId: id, assignment: Buffer.from(bytes) })),
  };
}

export function text(response: SyncGroupResponse): string {
  return response.assignment.toString();
}

export interface FormedGroup {
  generationId: number;
  leader: string;
  /** In join order; the first is the leader. */
  memberIds: string[];
}

/**
 * Brings a group to Stable with the given members (one join request override each), the
 * leader assigning `assignment-<index>` to each. Needs fake timers and a zero initial delay.
 */
export async function formStableGroup(coordinator: GroupCoordinator, members: Array<Partial<JoinGroupRequest>>): Promise<FormedGroup> {
  const started = [];
  for (const overrides of members) started.push(await startJoin(coordinator, overrides));
  await jest.advanceTimersByTimeAsync(1);
  const joined = await Promise.all(started.map((s) => s.join));
  const leader = joined[0].leader;
  const generationId = joined[0].generationId;
  const memberIds = started.map((s) => s.memberId);
  const groupId = members[0].groupId ?? 'g';
  const assignments = Object.fromEntries(memberIds.map((id, i) => [id, `assignment-${i}`]));
  const syncs = memberIds.map((id) => coordinator.syncGroup(syncRequest(id, generationId, id === leader ? assignments : {}, groupId)));
  for (const sync of await Promise.all(syncs)) {
    if (sync.errorCode !== ErrorCode.NONE) throw new Error(`sync failed with ${sync.errorCode}`);
  }
  return { generationId, leader, memberIds };
}
