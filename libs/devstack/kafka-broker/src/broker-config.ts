import { type BrokerSecurity } from '@flywheel/contracts';
import { type ServerLogger } from '@flywheel/dev-server-kit';

export interface BrokerConfig {
  /** Address to listen on. */
  host: string;
  /** 0 picks a free port; read it back from `KafkaBroker.port`. */
  port: number;
  /** Host put in Metadata and FindCoordinator answers: the one clients can reach. */
  advertisedHost: string;
  dataDir: string;
  nodeId: number;
  clusterId: string;
  autoCreateTopics: boolean;
  defaultPartitions: number;
  /** Largest record batch accepted (Kafka's message.max.bytes); larger gets MESSAGE_TOO_LARGE. */
  messageMaxBytes: number;
  /** Largest request frame (Kafka's socket.request.max.bytes); larger closes the connection. */
  maxRequestBytes: number;
  /** Kafka's group.initial.rebalance.delay.ms. */
  initialRebalanceDelayMs: number;
  segmentBytes: number;
  /** -1: keep forever. */
  retentionMs: number;
  /** Per partition; -1: no limit. */
  retentionBytes: number;
  retentionCheckIntervalMs: number;
  /** fsync every append; off by default: page-cache writes already survive a killed broker. */
  fsync: boolean;
  logger: ServerLogger;
  /**
   * TYPE-ONLY STUB of the shared interface, replaced when the broker's SASL/SCRAM and ACL checks
   * are merged: this broker does not read it yet (clients stay anonymous). Omitted: 'anonymous'.
   */
  security?: 'anonymous' | BrokerSecurity;
}

export const DEFAULT_BROKER_CONFIG: Omit<BrokerConfig, 'dataDir' | 'logger'> = {
  host: '127.0.0.1',
  port: 9092,
  advertisedHost: '127.0.0.1',
  nodeId: 1,
  clusterId: 'flywheel-devstack',
  autoCreateTopics: true,
  defaultPartitions: 1,
  // Above Kafka's 1 MB default: datasets and model events of a few MB pass on a dev machine.
  messageMaxBytes: 16 * 1024 * 1024,
  maxRequestBytes: 100 * 1024 * 1024,
  initialRebalanceDelayMs: 3000,
  segmentBytes: 64 * 1024 * 1024,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  retentionCheckIntervalMs: 60_000,
  fsync: false,
};
