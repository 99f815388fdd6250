import { type LoggerService } from '@nestjs/common';
import { type EachBatchPayload } from 'kafkajs';
import { type MessagingMetricsSink } from '../metrics/messaging-metrics';
import { consumedRecord } from './consumed-record';
import { GroupConsumer, type GroupConsumerSettings } from './group-consumer';
import { type MessageProcessor } from './message-processor';

export interface ConsumerGroupSettings extends GroupConsumerSettings {
  processor: MessageProcessor;
  metrics: MessagingMetricsSink;
  logger: LoggerService;
}

/**
 * One kafkajs consumer for one group. Records of a partition are processed strictly one after
 * another and an offset is resolved only once its record is done (applied, a duplicate,
 * ignored, or parked), so a commit never passes an unfinished record.
 */
export class ConsumerGroup extends GroupConsumer<ConsumerGroupSettings> {
  protected async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const { processor, metrics, group } = this.settings;
    const control = this.controlOf(payload);
    let next: bigint | undefined;
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || control.signal.aborted) break;
      const result = await processor.process(consumedRecord(batch.topic, batch.partition, message), control);
      if (result === 'interrupted') break;
      resolveOffset(message.offset);
      next = BigInt(message.offset) + 1n;
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
    if (next !== undefined) {
      const lag = BigInt(batch.highWatermark) - next;
      metrics.setConsumerLag(group, batch.topic, batch.partition, Number(lag > 0n ? lag : 0n));
    }
  }
}
