import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../protocol/error-codes';
import { type OffsetCommitEntry, type OffsetStore } from '../storage/offset-store';
import { ConsumerGroup, EMPTY_BYTES, GroupMember } from './consumer-group';
import {
  type DeleteGroupResult,
  type DescribedGroup,
  type HeartbeatRequest,
  type JoinGroupRequest,
  type JoinGroupResponse,
  type LeaveGroupRequest,
  type ListedGroup,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
  type OffsetFetchResponse,
  type OffsetFetchTopics,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from './group-types';

/** Kafka's group.min.session.timeout.ms and group.max.session.timeout.ms defaults. */
export const MIN_SESSION_TIMEOUT_MS = 6_000;
export const MAX_SESSION_TIMEOUT_MS = 1_800_000;
/** Kafka's offset.metadata.max.bytes default. */
export const MAX_OFFSET_METADATA_LENGTH = 4_096;
/** JoinGroup v4 introduced the MEMBER_ID_REQUIRED round trip. */
const FIRST_JOIN_VERSION_REQUIRING_MEMBER_ID = 4;

export interface GroupCoordinatorOptions {
  offsets: OffsetStore;
  /** Kafka's group.initial.rebalance.delay.ms: how long a group's first rebalance gathers members. */
  initialRebalanceDelayMs: number;
  /** Stamps committed offsets; timers use the global setTimeout, so fake timers drive both. */
  clock?: () => number;
}

function joinError(errorCode: ErrorCode, memberId: string): JoinGroupResponse {
  return { errorCode, generationId: -1, protocolName: '', leader: '', memberId, members: [] };
}

function syncError(errorCode: ErrorCode): SyncGroupResponse {
  return { errorCode, assignment: EMPTY_BYTES };
}

/**
 * Kafka's classic consumer-group coordinator for a single broker: membership, generations,
 * rebalances and committed offsets. The request handlers decode the wire messages and call it
 * with plain objects; every call is answered, even the ones that wait for a rebalance.
 *
 * Timers, and what ends each wait:
 * - a member's session timer runs only while it owes us a heartbeat; while its JoinGroup or
 *   SyncGroup is held it cannot heartbeat, so the rebalance and sync deadlines bound it instead;
 * - a group's join phase ends when every member has rejoined, or at the rebalance timeout;
 * - a group's sync deadline removes members that got the new generation but never synced
 *   (including a leader that never sends assignments), so followers are never stuck;
 * - an id handed out with MEMBER_ID_REQUIRED expires after the session timeout.
 */
export class GroupCoordinator {
  private readonly offsets: OffsetStore;
  private readonly initialRebalanceDelayMs: number;
  private readonly clock: () => number;
  private readonly groups = new Map<string, ConsumerGroup>();
  private closed = false;

  constructor(options: GroupCoordinatorOptions) {
    this.offsets = options.offsets;
    this.initialRebalanceDelayMs = options.initialRebalanceDelayMs;
    this.clock = options.clock ?? (() => Date.now());
  }

  joinGroup(request: JoinGroupRequest, apiVersion: number): Promise<JoinGroupResponse> {
    return new Promise((respond) => this.handleJoin(request, apiVersion, respond));
  }

  syncGroup(request: SyncGroupRequest): Promise<SyncGroupResponse> {
    return new Promise((respond) => this.handleSync(request, respond));
  }

  heartbeat(request: HeartbeatRequest): ErrorCode {
    if (this.closed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (request.groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const group = this.groups.get(request.groupId);
    const member = group?.members.get(request.memberId);
    if (!group || !member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (request.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    switch (group.state) {
      case 'PreparingRebalance':
        this.touch(group, member);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      case 'CompletingRebalance':
      case 'Stable':
        this.touch(group, member);
        return ErrorCode.NONE;
      case 'Empty':
      case 'Dead':
        return ErrorCode.UNKNOWN_MEMBER_ID;
    }
  }

  leaveGroup(request: LeaveGroupRequest): ErrorCode {
    if (this.closed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (request.groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const group = this.groups.get(request.groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.pendingMembers.has(request.memberId)) {
      this.forgetPendingMember(group, request.memberId);
      return ErrorCode.NONE;
    }
    const member = group.members.get(request.memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.removeMember(group, member);
    this.afterMembersRemoved(group);
    return ErrorCode.NONE;
  }

  commitOffsets(request: OffsetCommitRequest): OffsetCommitResponse {
    const groupError = this.closed ? ErrorCode.COORDINATOR_NOT_AVAILABLE : this.checkCommitter(request);
    const entries: OffsetCommitEntry[] = [];
    const topics = request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map(({ partitionIndex, committedOffset, metadata }) => {
        if (groupError !== ErrorCode.NONE) return { partitionIndex, errorCode: groupError };
        if (metadata !== null && metadata.length > MAX_OFFSET_METADATA_LENGTH) {
          return { partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
        }
        entries.push({ topic: topic.name, partition: partitionIndex, offset: committedOffset, metadata });
        return { partitionIndex, errorCode: ErrorCode.NONE };
      }),
    }));
    // The store returns only once the offsets are durable, so the answer never runs ahead of the disk.
    if (entries.length > 0) this.offsets.commit(request.groupId, entries, this.clock());
    return { topics };
  }

  fetchOffsets(groupId: string, topics: OffsetFetchTopics): OffsetFetchResponse {
    if (this.closed) {
      const errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
      return {
        errorCode,
        topics: (topics ?? []).map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((partitionIndex) => ({
            partitionIndex,
            committedOffset: -1,
            metadata: '',
            errorCode,
          })),
        })),
      };
    }
    if (topics === null) {
      const byTopic = new Map<string, OffsetFetchResponse['topics'][number]>();
      for (const stored of this.offsets.listForGroup(groupId)) {
        let topic = byTopic.get(stored.topic);
        if (!topic) byTopic.set(stored.topic, (topic = { name: stored.topic, partitions: [] }));
        topic.partitions.push({
          partitionIndex: stored.partition,
          committedOffset: stored.offset,
          metadata: stored.metadata ?? '',
          errorCode: ErrorCode.NONE,
        });
      }
      return { errorCode: ErrorCode.NONE, topics: [...byTopic.values()] };
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => {
          const stored = this.offsets.fetch(groupId, t.name, partitionIndex);
          return {
            partitionIndex,
            committedOffset: stored?.offset ?? -1,
            metadata: stored?.metadata ?? '',
            errorCode: ErrorCode.NONE,
          };
        }),
      })),
    };
  }

  /** Groups with members, groups left Empty, and groups known only by their committed offsets. */
  listGroups(): ListedGroup[] {
    if (this.closed) return [];
    const groups = [...this.groups.values()].map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '' }));
    for (const groupId of this.offsets.groups()) {
      if (!this.groups.has(groupId)) groups.push({ groupId, protocolType: '' });
    }
    return groups;
  }

  describeGroups(groupIds: string[]): DescribedGroup[] {
    return groupIds.map((groupId) => {
      const described: DescribedGroup = {
        errorCode: ErrorCode.NONE,
        groupId,
        groupState: 'Dead',
        protocolType: '',
        protocolData: '',
        members: [],
      };
      if (this.closed) return { ...described, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
      const group = this.groups.get(groupId);
      if (!group) return this.offsets.groups().includes(groupId) ? { ...described, groupState: 'Empty' } : described;
      // Like Kafka, metadata and assignments are shown only once they are settled.
      const stable = group.state === 'Stable';
      return {
        ...described,
        groupState: group.state,
        protocolType: group.protocolType ?? '',
        protocolData: stable ? (group.protocolName ?? '') : '',
        members: [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: stable ? m.metadataFor(group.protocolName ?? '') : EMPTY_BYTES,
          memberAssignment: stable ? m.assignment : EMPTY_BYTES,
        })),
      };
    });
  }

  deleteGroups(groupIds: string[]): DeleteGroupResult[] {
    return groupIds.map((groupId) => {
      if (this.closed) return { groupId, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
      const group = this.groups.get(groupId);
      if (group) {
        if (group.state !== 'Empty') return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
        this.retire(group);
      } else if (!this.offsets.groups().includes(groupId)) {
        return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
      }
      this.offsets.deleteGroup(groupId);
      return { groupId, errorCode: ErrorCode.NONE };
    });
  }

  /** Stops every timer and answers every held JoinGroup and SyncGroup with COORDINATOR_NOT_AVAILABLE. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const group of this.groups.values()) {
      for (const member of group.members.values()) {
        this.answerJoin(member, joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, member.memberId));
        this.answerSync(member, syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
      }
      this.retire(group);
    }
  }

  // ---- JoinGroup ----------------------------------------------------------------------------

  private handleJoin(request: JoinGroupRequest, apiVersion: number, respond: (r: JoinGroupResponse) => void): void {
    const fail = (errorCode: ErrorCode): void => respond(joinError(errorCode, request.memberId));
    if (this.closed) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (request.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
    if (request.sessionTimeoutMs < MIN_SESSION_TIMEOUT_MS || request.sessionTimeoutMs > MAX_SESSION_TIMEOUT_MS) {
      return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    const existing = this.groups.get(request.groupId);
    // Only a newcomer may bring a group into being; a known id on an unknown group is stale.
    if (!existing && request.memberId !== '') return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    const group = existing ?? new ConsumerGroup(request.groupId);
    if (!group.supportsProtocols(request.protocolType, request.protocols, request.memberId)) {
      // A handed-out id that cannot join must not hold the group's rebalance until it expires.
      if (group.pendingMembers.has(request.memberId)) this.forgetPendingMember(group, request.memberId);
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    this.groups.set(group.groupId, group);

    if (request.memberId === '') {
      const memberId = `${request.groupInstanceId ?? request.clientId}-${randomUUID()}`;
      if (apiVersion >= FIRST_JOIN_VERSION_REQUIRING_MEMBER_ID) {
        // The client rejoins at once with this id; until then it only holds a place.
        this.addPendingMember(group, memberId, request.sessionTimeoutMs);
        return respond(joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId));
      }
      return this.addMemberAndRebalance(group, memberId, request, respond);
    }
    if (group.pendingMembers.has(request.memberId)) {
      clearTimeout(group.pendingMembers.get(request.memberId));
      group.pendingMembers.delete(request.memberId);
      return this.addMemberAndRebalance(group, request.memberId, request, respond);
    }

    const member = group.members.get(request.memberId);
    if (!member) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, request, respond);
      case 'CompletingRebalance':
        // A retried join for the generation being synced: repeat its answer.
        if (member.matches(request.protocols)) return this.repeatCurrentGeneration(group, member, respond);
        return this.updateMemberAndRebalance(group, member, request, respond);
      case 'Stable':
        // The leader rejoins to make the group rebalance (e.g. a subscribed topic grew partitions),
        // so only a follower with unchanged metadata simply gets the current generation back.
        if (group.leaderId !== member.memberId && member.matches(request.protocols)) {
          return this.repeatCurrentGeneration(group, member, respond);
        }
        return this.updateMemberAndRebalance(group, member, request, respond);
      case 'Empty':
      case 'Dead':
        return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    }
  }

  private addPendingMember(group: ConsumerGroup, memberId: string, sessionTimeoutMs: number): void {
    group.pendingMembers.set(
      memberId,
      this.startTimer(() => this.forgetPendingMember(group, memberId), sessionTimeoutMs),
    );
  }

  /** Drops a handed-out id; the rebalance may have been waiting only for it. */
  private forgetPendingMember(group: ConsumerGroup, memberId: string): void {
    clearTimeout(group.pendingMembers.get(memberId));
    group.pendingMembers.delete(memberId);
    this.tryCompleteJoin(group);
  }

  private addMemberAndRebalance(
    group: ConsumerGroup,
    memberId: string,
    request: JoinGroupRequest,
    respond: (r: JoinGroupResponse) => void,
  ): void {
    const { groupInstanceId, clientId, clientHost, sessionTimeoutMs, rebalanceTimeoutMs, protocols } = request;
    const member = new GroupMember({
      memberId,
      groupInstanceId,
      clientId,
      clientHost,
      sessionTimeoutMs,
      rebalanceTimeoutMs,
      protocols,
    });
    member.joinWaiters.push(respond);
    group.add(member, request.protocolType);
    if (group.state === 'PreparingRebalance') {
      if (group.joinPhase) group.joinPhase.newMemberAdded = true;
      this.tryCompleteJoin(group);
    } else {
      this.prepareRebalance(group);
    }
  }

  private updateMemberAndRebalance(
    group: ConsumerGroup,
    member: GroupMember,
    request: JoinGroupRequest,
    respond: (r: JoinGroupResponse) => void,
  ): void {
    member.protocols = request.protocols;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    member.joinWaiters.push(respond);
    this.touch(group, member);
    if (group.state === 'PreparingRebalance') this.tryCompleteJoin(group);
    else this.prepareRebalance(group);
  }

  private repeatCurrentGeneration(group: ConsumerGroup, member: GroupMember, respond: (r: JoinGroupResponse) => void): void {
    this.touch(group, member);
    respond(this.generationAnswer(group, member));
  }

  private generationAnswer(group: ConsumerGroup, member: GroupMember): JoinGroupResponse {
    const isLeader = group.leaderId === member.memberId;
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolName: group.protocolName ?? '',
      leader: group.leaderId ?? '',
      memberId: member.memberId,
      members: isLeader ? group.memberList() : [],
    };
  }

  // ---- Rebalance ----------------------------------------------------------------------------

  /**
   * Empty | CompletingRebalance | Stable -> PreparingRebalance. Members of a running generation
   * learn about it from their next heartbeat (REBALANCE_IN_PROGRESS) and rejoin.
   */
  private prepareRebalance(group: ConsumerGroup): void {
    if (group.state === 'CompletingRebalance') {
      // The assignment being waited for belongs to a generation that will never be Stable.
      for (const member of group.members.values()) {
        member.assignment = EMPTY_BYTES;
        this.answerSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        this.touch(group, member);
      }
    }
    this.clearSyncDeadline(group);
    const firstRebalance = group.state === 'Empty';
    group.transitionTo('PreparingRebalance');
    const rebalanceTimeoutMs = group.rebalanceTimeoutMs();
    if (firstRebalance) {
      const delayMs = this.initialRebalanceDelayMs;
      group.joinPhase = {
        timer: this.startTimer(() => this.onInitialDelayElapsed(group), delayMs),
        initial: true,
        newMemberAdded: false,
        remainingMs: Math.max(rebalanceTimeoutMs - delayMs, 0),
      };
    } else {
      group.joinPhase = {
        timer: this.startTimer(() => this.completeJoin(group), rebalanceTimeoutMs),
        initial: false,
        newMemberAdded: false,
        remainingMs: 0,
      };
      this.tryCompleteJoin(group);
    }
  }

  /** Kafka's InitialDelayedJoin: each arrival buys another delay, until the rebalance timeout is spent. */
  private onInitialDelayElapsed(group: ConsumerGroup): void {
    const phase = group.joinPhase;
    if (!phase) return;
    if (phase.newMemberAdded && phase.remainingMs > 0) {
      const delayMs = Math.min(this.initialRebalanceDelayMs, phase.remainingMs);
      phase.remainingMs -= delayMs;
      phase.newMemberAdded = false;
      phase.timer = this.startTimer(() => this.onInitialDelayElapsed(group), delayMs);
      return;
    }
    this.completeJoin(group);
  }

  private tryCompleteJoin(group: ConsumerGroup): void {
    const phase = group.joinPhase;
    if (group.state === 'PreparingRebalance' && phase && !phase.initial && group.allMembersJoined()) {
      this.completeJoin(group);
    }
  }

  /**
   * PreparingRebalance -> CompletingRebalance (or Empty when nobody is left). Members that did
   * not rejoin in time are dropped; everyone else gets the new generation, and only the
   * leader gets the member list it needs to compute the assignment.
   */
  private completeJoin(group: ConsumerGroup): void {
    if (group.joinPhase) clearTimeout(group.joinPhase.timer);
    group.joinPhase = null;
    for (const member of [...group.members.values()]) {
      if (!member.isAwaitingJoin) this.removeMember(group, member);
    }
    group.generationId += 1;
    if (group.members.size === 0) {
      group.protocolName = null;
      group.leaderId = null;
      group.transitionTo('Empty');
      return;
    }
    group.protocolName = group.selectProtocol();
    group.transitionTo('CompletingRebalance');
    for (const member of group.members.values()) {
      member.assignment = EMPTY_BYTES;
      group.awaitingSync.add(member.memberId);
      this.answerJoin(member, this.generationAnswer(group, member));
      this.touch(group, member);
    }
    group.syncTimer = this.startTimer(() => this.onSyncDeadline(group), group.rebalanceTimeoutMs());
  }

  /** Members that took the new generation but never synced are gone; rebalance without them. */
  private onSyncDeadline(group: ConsumerGroup): void {
    group.syncTimer = null;
    for (const memberId of [...group.awaitingSync]) {
      const member = group.members.get(memberId);
      if (member) this.removeMember(group, member);
    }
    this.afterMembersRemoved(group);
  }

  private clearSyncDeadline(group: ConsumerGroup): void {
    if (group.syncTimer) clearTimeout(group.syncTimer);
    group.syncTimer = null;
    group.awaitingSync.clear();
  }

  // ---- SyncGroup ----------------------------------------------------------------------------

  private handleSync(request: SyncGroupRequest, respond: (r: SyncGroupResponse) => void): void {
    const fail = (errorCode: ErrorCode): void => respond(syncError(errorCode));
    if (this.closed) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (request.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
    const group = this.groups.get(request.groupId);
    const member = group?.members.get(request.memberId);
    if (!group || !member) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (request.generationId !== group.generationId) return fail(ErrorCode.ILLEGAL_GENERATION);
    switch (group.state) {
      case 'PreparingRebalance':
        this.touch(group, member);
        return fail(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'CompletingRebalance':
        member.syncWaiters.push(respond);
        this.touch(group, member);
        this.markSynced(group, member.memberId);
        if (group.leaderId === member.memberId) this.completeSync(group, request);
        return;
      case 'Stable':
        this.touch(group, member);
        this.markSynced(group, member.memberId);
        return respond({ errorCode: ErrorCode.NONE, assignment: member.assignment });
      case 'Empty':
      case 'Dead':
        return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    }
  }

  /** CompletingRebalance -> Stable: the leader's assignment releases every waiting SyncGroup. */
  private completeSync(group: ConsumerGroup, leaderRequest: SyncGroupRequest): void {
    const assignments = new Map(leaderRequest.assignments.map((a) => [a.memberId, a.assignment]));
    group.transitionTo('Stable');
    for (const member of group.members.values()) {
      member.assignment = assignments.get(member.memberId) ?? EMPTY_BYTES;
      this.answerSync(member, { errorCode: ErrorCode.NONE, assignment: member.assignment });
      this.touch(group, member);
    }
  }

  private markSynced(group: ConsumerGroup, memberId: string): void {
    group.awaitingSync.delete(memberId);
    if (group.awaitingSync.size === 0) this.clearSyncDeadline(group);
  }

  // ---- Membership ---------------------------------------------------------------------------

  /**
   * Restarts a member's session. The clock is stopped while the member waits on a JoinGroup or
   * SyncGroup, because it cannot heartbeat then (Kafka keeps such members alive too).
   */
  private touch(group: ConsumerGroup, member: GroupMember): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.sessionTimer = null;
    if (member.isAwaitingJoin || member.isAwaitingSync) return;
    member.sessionTimer = this.startTimer(() => {
      this.removeMember(group, member);
      this.afterMembersRemoved(group);
    }, member.sessionTimeoutMs);
  }

  /** Takes a member out; its own held calls can no longer succeed, so they are answered now. */
  private removeMember(group: ConsumerGroup, member: GroupMember): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.sessionTimer = null;
    this.answerJoin(member, joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
    this.answerSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
  }

  /** The survivors need a new generation; a rebalance already under way may now be complete. */
  private afterMembersRemoved(group: ConsumerGroup): void {
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        return this.prepareRebalance(group);
      case 'PreparingRebalance':
        return this.tryCompleteJoin(group);
      case 'Empty':
      case 'Dead':
        return;
    }
  }

  // ---- Offsets ------------------------------------------------------------------------------

  /** Kafka's rules for who may commit, given as the error for every partition of the request. */
  private checkCommitter(request: OffsetCommitRequest): ErrorCode {
    const { generationId, memberId } = request;
    const group = this.groups.get(request.groupId);
    if (!group) {
      // Generation -1 means a client that manages its own partitions, or an admin reset.
      if (generationId < 0) return ErrorCode.NONE;
      const hasOffsets = this.offsets.groups().includes(request.groupId);
      return hasOffsets ? ErrorCode.UNKNOWN_MEMBER_ID : ErrorCode.ILLEGAL_GENERATION;
    }
    if (generationId < 0 && group.state === 'Empty') return ErrorCode.NONE;
    const member = group.members.get(memberId);
    if (!member && (generationId >= 0 || memberId !== '')) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (!member || generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    switch (group.state) {
      // Kafka accepts commits of the current generation until the member rejoins: consumers
      // commit what they processed when told to rebalance, before giving their partitions up.
      case 'PreparingRebalance':
      case 'Stable':
        this.touch(group, member);
        return ErrorCode.NONE;
      case 'CompletingRebalance':
        return ErrorCode.REBALANCE_IN_PROGRESS;
      case 'Empty':
      case 'Dead':
        return ErrorCode.UNKNOWN_MEMBER_ID;
    }
  }

  // ---- Plumbing -----------------------------------------------------------------------------

  private answerJoin(member: GroupMember, response: JoinGroupResponse): void {
    for (const respond of member.joinWaiters.splice(0)) respond(response);
  }

  private answerSync(member: GroupMember, response: SyncGroupResponse): void {
    for (const respond of member.syncWaiters.splice(0)) respond(response);
  }

  /** Group timers must not keep the broker's process alive on their own. */
  private startTimer(callback: () => void, delayMs: number): NodeJS.Timeout {
    const timer = setTimeout(callback, delayMs);
    timer.unref();
    return timer;
  }

  /** -> Dead: stops the group's timers and forgets it (its offsets are the caller's business). */
  private retire(group: ConsumerGroup): void {
    if (group.joinPhase) clearTimeout(group.joinPhase.timer);
    group.joinPhase = null;
    this.clearSyncDeadline(group);
    for (const timer of group.pendingMembers.values()) clearTimeout(timer);
    group.pendingMembers.clear();
    for (const member of group.members.values()) {
      if (member.sessionTimer) clearTimeout(member.sessionTimer);
      member.sessionTimer = null;
    }
    group.transitionTo('Dead');
    this.groups.delete(group.groupId);
  }
}
