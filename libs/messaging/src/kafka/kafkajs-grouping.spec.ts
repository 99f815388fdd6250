/**
 * kafkajs 2.2.4 grouped a send's messages by partition by copying the partition's array for
 * every message (`[...current, message]`): a batch of n messages cost n²/partitions copies, the
 * prediction log's 500-message sends among them. `patches/kafkajs+2.2.4.patch` appends in place.
 * The groups must be what they were: each partition's messages in send order, the partitioner
 * asked once per message in that order (a round-robin partitioner counts its calls).
 */
import { type Message, type PartitionerArgs } from 'kafkajs';

type Group = (args: {
  topic: string;
  partitionMetadata: unknown[];
  messages: Message[];
  partitioner: (args: PartitionerArgs) => number;
}) => Record<number, Message[]>;

// The internal module the patch changes (no types are published for it).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition') as Group;

/** kafkajs 2.2.4's own grouping, as published. */
const publishedGrouping: Group = ({ topic, partitionMetadata, messages, partitioner }) => {
  if (partitionMetadata.length === 0) return {};
  return messages.reduce<Record<number, Message[]>>((result, message) => {
    const partition = partitioner({ topic, partitionMetadata: partitionMetadata as PartitionerArgs['partitionMetadata'], message });
    const current = result[partition] || [];
    return Object.assign(result, { [partition]: [...current, message] });
  }, {});
};

/** A partitioner that spreads by call count, and records the messages it was asked about. */
function roundRobin(partitions: number) {
  const asked: Message[] = [];
  return {
    asked,
    partitioner: ({ message }: PartitionerArgs) => {
      asked.push(message);
      return (asked.length * 7) % partitions;
    },
  };
}

describe('kafkajs groupMessagesPerPartition (patched)', () => {
  const metadata = (partitions: number) => Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0 }));

  it.each([1, 3, 12])(
    'groups messages as kafkajs 2.2.4 does, over %i partition(s), asking the partitioner once per message in order',
    (partitions) => {
      const messages: Message[] = Array.from({ length: 1_000 }, (_, i) => ({ key: `k-${i % 37}`, value: `v-${i}` }));
      const ours = roundRobin(partitions);
      const theirs = roundRobin(partitions);
      const grouped = groupMessagesPerPartition({
        topic: 't',
        partitionMetadata: metadata(partitions),
        messages,
        partitioner: ours.partitioner,
      });
      const expected = publishedGrouping({
        topic: 't',
        partitionMetadata: metadata(partitions),
        messages,
        partitioner: theirs.partitioner,
      });
      expect(grouped).toEqual(expected);
      expect(Object.keys(grouped).sort()).toEqual(Object.keys(expected).sort());
      expect(ours.asked).toEqual(messages);
      // The messages themselves, not copies.
      expect(
        Object.values(grouped)
          .flat()
          .every((m) => messages.includes(m)),
      ).toBe(true);
    },
  );

  it('groups nothing when the topic has no partitions known, without asking the partitioner', () => {
    const { asked, partitioner } = roundRobin(3);
    expect(groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages: [{ value: 'v' }], partitioner })).toEqual({});
    expect(asked).toEqual([]);
  });
});
