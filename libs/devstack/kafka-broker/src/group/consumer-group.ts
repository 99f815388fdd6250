import {
  type GroupState,
  type JoinGroupMember,
  type JoinGroupProtocol,
  type JoinGroupResponse,
  type SyncGroupResponse,
} from './group-types';

export const EMPTY_BYTES = Buffer.alloc(0);

/**
 * The transitions Kafka's group coordinator allows, keyed by target state. Who moves a group:
 *
 *   Empty               -> PreparingRebalance   a member joins (the initial delay applies)
 *   PreparingRebalance  -> CompletingRebalance  every member rejoined, or the rebalance timeout
 *   PreparingRebalance  -> Empty                the join phase ends with nobody left
 *   CompletingRebalance -> Stable               the leader's SyncGroup brings the assignment
 *   CompletingRebalance -> PreparingRebalance   a join with new metadata, a new member, a leave,
 *   Stable              -> PreparingRebalance     a session expiry, or the sync deadline
 *                                                 (Stable also on any join of the leader)
 *   any                 -> Dead                 DeleteGroups of an Empty group, or shutdown
 */
const PREVIOUS_STATES: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Empty', 'CompletingRebalance', 'Stable'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'],
};

export interface GroupMemberInit {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: JoinGroupProtocol[];
}

export class GroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** In the member's order of preference, each with the bytes the leader will read. */
  protocols: JoinGroupProtocol[];
  assignment: Buffer = EMPTY_BYTES;
  sessionTimer: NodeJS.Timeout | null = null;
  /** Unanswered JoinGroup calls; several only when a client retried on a new connection. */
  readonly joinWaiters: Array<(response: JoinGroupResponse) => void> = [];
  /** Unanswered SyncGroup calls, waiting for the leader's assignment. */
  readonly syncWaiters: Array<(response: SyncGroupResponse) => void> = [];

  constructor(init: GroupMemberInit) {
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.protocols = init.protocols;
  }

  get isAwaitingJoin(): boolean {
    return this.joinWaiters.length > 0;
  }

  get isAwaitingSync(): boolean {
    return this.syncWaiters.length > 0;
  }

  /** The bytes the member sent for a protocol, handed to the leader untouched. */
  metadataFor(protocolName: string): Buffer {
    return this.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY_BYTES;
  }

  /** Same protocols, same order, same bytes: rejoining with these changes nothing. */
  matches(protocols: JoinGroupProtocol[]): boolean {
    return (
      protocols.length === this.protocols.length &&
      protocols.every((p, i) => p.name === this.protocols[i].name && p.metadata.equals(this.protocols[i].metadata))
    );
  }
}

/** How the current PreparingRebalance ends: see GroupCoordinator.prepareRebalance. */
export interface JoinPhase {
  timer: NodeJS.Timeout;
  /**
   * The first rebalance of an Empty group waits the initial delay even when everyone has
   * joined, so that members started together land in one generation.
   */
  initial: boolean;
  /** Initial phase only: a member arrived since the delay was last armed, so extend it. */
  newMemberAdded: boolean;
  /** Initial phase only: how much longer it may still be extended (bounded by the rebalance timeout). */
  remainingMs: number;
}

/** One consumer group's membership and generation; the coordinator drives its transitions. */
export class ConsumerGroup {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** In join order, so that the leader's member list and leader succession are predictable. */
  readonly members = new Map<string, GroupMember>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, each expiring if its client never comes back. */
  readonly pendingMembers = new Map<string, NodeJS.Timeout>();
  joinPhase: JoinPhase | null = null;
  /** Members given the current generation that have not sent SyncGroup yet. */
  readonly awaitingSync = new Set<string>();
  syncTimer: NodeJS.Timeout | null = null;

  constructor(readonly groupId: string) {}

  transitionTo(next: GroupState): void {
    if (!PREVIOUS_STATES[next].includes(this.state)) {
      throw new Error(`group ${this.groupId}: illegal transition ${this.state} -> ${next}`);
    }
    this.state = next;
  }

  add(member: GroupMember, protocolType: string): void {
    if (this.members.size === 0) this.protocolType = protocolType;
    this.leaderId ??= member.memberId;
    this.members.set(member.memberId, member);
  }

  remove(memberId: string): void {
    this.members.delete(memberId);
    this.awaitingSync.delete(memberId);
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
  }

  /**
   * Whether a joining member can share the group: same protocol type, and at least one of its
   * protocols supported by every other member. The joining member's own previous protocols do
   * not count, so that a lone member may switch assignor.
   */
  supportsProtocols(protocolType: string, protocols: JoinGroupProtocol[], joiningMemberId: string): boolean {
    if (protocolType === '' || protocols.length === 0) return false;
    const others = [...this.members.values()].filter((m) => m.memberId !== joiningMemberId);
    if (others.length === 0) return true;
    if (protocolType !== this.protocolType) return false;
    return protocols.some((p) => others.every((m) => m.protocols.some((q) => q.name === p.name)));
  }

  /**
   * Each member votes its first preference among the protocols all members support; the most
   * votes wins, ties going to the protocol the earliest-joined member prefers.
   */
  selectProtocol(): string {
    const members = [...this.members.values()];
    const [first] = members;
    const candidates = first.protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
    const votes = new Map<string, number>(candidates.map((name) => [name, 0]));
    for (const member of members) {
      const vote = member.protocols.find((p) => votes.has(p.name))?.name;
      if (vote !== undefined) votes.set(vote, (votes.get(vote) ?? 0) + 1);
    }
    let winner = candidates[0];
    for (const name of candidates) if ((votes.get(name) ?? 0) > (votes.get(winner) ?? 0)) winner = name;
    return winner;
  }

  /** The join phase may end early once every member has rejoined and no handed-out id is outstanding. */
  allMembersJoined(): boolean {
    return this.pendingMembers.size === 0 && [...this.members.values()].every((m) => m.isAwaitingJoin);
  }

  /** A rebalance waits as long as the most patient member allows. */
  rebalanceTimeoutMs(): number {
    return Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
  }

  /** What the leader gets in its JoinGroup answer: every member's bytes for the chosen protocol. */
  memberList(): JoinGroupMember[] {
    const protocolName = this.protocolName ?? '';
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadataFor(protocolName),
    }));
  }
}
