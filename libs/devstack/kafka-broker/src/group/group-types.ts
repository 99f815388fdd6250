import { type ErrorCode } from '../protocol/error-codes';
import type * as Wire from '../protocol/messages';

/** Kafka's group states, spelled exactly as DescribeGroups reports them. */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/*
 * Requests and answers as the wire carries them (protocol/messages), plus what the broker
 * knows of the connection. One definition per message, so the codec and the coordinator
 * cannot drift apart.
 */
export type JoinGroupProtocol = Wire.JoinGroupRequest['protocols'][number];

/** JoinGroup v0–v5; v0 has no rebalance timeout on the wire: the codec passes the session timeout. */
export type JoinGroupRequest = Wire.JoinGroupRequest & { clientId: string; clientHost: string };
export type JoinGroupMember = Wire.JoinGroupResponse['members'][number];
/** Only the leader receives the members; followers get an empty list. */
export type JoinGroupResponse = Wire.JoinGroupResponse;

export type SyncGroupAssignment = Wire.SyncGroupRequest['assignments'][number];
/** SyncGroup v0–v3: the leader sends the assignments, followers an empty list. */
export type SyncGroupRequest = Wire.SyncGroupRequest;
/** Never null: a member without an assignment gets an empty buffer. */
export type SyncGroupResponse = Wire.SyncGroupResponse;

export type HeartbeatRequest = Wire.HeartbeatRequest;
export type LeaveGroupRequest = Wire.LeaveGroupRequest;

export type OffsetCommitPartition = Wire.OffsetCommitRequest['topics'][number]['partitions'][number];
/** OffsetCommit v0–v5; v0 carries no generation or member: the codec passes -1 and ''. */
export type OffsetCommitRequest = Wire.OffsetCommitRequest;
export type OffsetCommitResponse = Wire.OffsetCommitResponse;

/** OffsetFetch topics; null asks for every offset the group has. */
export type OffsetFetchTopics = Wire.OffsetFetchRequest['topics'];
/** committedOffset -1 and metadata '' when the group has nothing committed, as Kafka answers. */
export type OffsetFetchPartition = Wire.OffsetFetchResponse['topics'][number]['partitions'][number];
/** OffsetFetch v0–v4; v2+ carries the top-level error code. */
export type OffsetFetchResponse = Wire.OffsetFetchResponse;

/** One group of a ListGroups v0–v2 answer. */
export interface ListedGroup {
  groupId: string;
  protocolType: string;
}

export interface DescribedMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** The member's metadata for the chosen protocol; empty unless the group is Stable (as in Kafka). */
  memberMetadata: Buffer;
  /** Empty unless the group is Stable (as in Kafka). */
  memberAssignment: Buffer;
}

/** One group of a DescribeGroups v0–v2 answer. */
export interface DescribedGroup {
  errorCode: ErrorCode;
  groupId: string;
  groupState: GroupState;
  protocolType: string;
  /** The chosen protocol while Stable, else ''. */
  protocolData: string;
  members: DescribedMember[];
}

/** One group of a DeleteGroups v0–v1 answer. */
export interface DeleteGroupResult {
  groupId: string;
  errorCode: ErrorCode;
}
