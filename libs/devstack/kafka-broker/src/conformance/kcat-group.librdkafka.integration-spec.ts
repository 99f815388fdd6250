import { assertConfluentKafkaPython, assertKcat, eventually } from '@flywheel/test-kit';
import { type ConformanceBroker, startConformanceBroker } from './conformance-broker';
import { type Consumed, kcat, kcatBroker, KcatGroupMember, killAll, parseConsumed, pythonFixture } from './librdkafka-helpers';

// Generous: three kcat members, the broker and Jest share a loaded 2-core machine, and one
// step waits out a 6 s session timeout.
jest.setTimeout(180_000);

let broker: ConformanceBroker;

beforeAll(async () => {
  assertKcat();
  assertConfluentKafkaPython();
  // Topics that kcat's producer auto-creates get six partitions.
  broker = await startConformanceBroker({ defaultPartitions: 6 });
});

afterAll(async () => {
  await killAll();
  await broker?.stop();
});

/** All partitions the members own right now, sorted; a partition owned twice appears twice. */
function owned(members: KcatGroupMember[]): number[] {
  return members.flatMap((m) => m.assignment).sort((a, b) => a - b);
}

function describeMembers(members: KcatGroupMember[]): string {
  return members
    .map((m, i) => `member ${i} (${m.memberId}) owns [${m.assignment}]; last lines:\n  ${m.log.slice(-8).join('\n  ')}`)
    .join('\n');
}

interface ListedGroups {
  groups: Array<{
    id: string;
    error: string | null;
    state: string;
    protocol_type: string;
    protocol: string;
    members: Array<{ id: string; client_id: string }>;
  }>;
}

describe('a three-member kcat -G consumer group', () => {
  // librdkafka's default assignors (range, roundrobin) rebalance eagerly; cooperative-sticky
  // moves only the partitions that change owner, over several JoinGroup/SyncGroup rounds.
  it.each([
    { strategy: 'range,roundrobin', protocol: 'range' },
    { strategy: 'cooperative-sticky', protocol: 'cooperative-sticky' },
  ])(
    "assigns each of six partitions exactly once, and the survivors take over a killed member's partitions ($strategy)",
    async ({ strategy, protocol }) => {
      const topic = `group-${protocol}-${Date.now()}`;
      const group = `g-${topic}`;
      await kcat([...kcatBroker(broker), '-P', '-t', topic, '-K:'], {
        input: Array.from({ length: 60 }, (_, i) => `k${i}:m${i}\n`).join(''),
        timeoutMs: 60_000,
      });

      const members: KcatGroupMember[] = [];
      try {
        for (let i = 0; i < 3; i++)
          members.push(new KcatGroupMember(broker, group, topic, ['-X', `partition.assignment.strategy=${strategy}`]));

        // Each member owns two partitions and together they own 0..5 exactly once.
        const spread = () => members.every((m) => m.assignment.length === 2) && owned(members).join() === '0,1,2,3,4,5';
        const spreadReached = await eventually(spread, 60_000);
        if (!spreadReached) throw new Error(`no even assignment over three members:\n${describeMembers(members)}`);
        expect(new Set(members.map((m) => m.memberId)).size).toBe(3);

        // The group as the broker reports it through ListGroups/DescribeGroups (librdkafka's list_groups()).
        const listed = await pythonFixture<ListedGroups>('confluent_admin.py', [broker.address, 'list_groups'], {
          credential: broker.credential,
        });
        const described = listed.groups.find((g) => g.id === group);
        expect(described).toMatchObject({ error: null, state: 'Stable', protocol_type: 'consumer', protocol });
        expect(described!.members.map((m) => m.id).sort()).toEqual(members.map((m) => m.memberId).sort());

        // SIGKILL sends no LeaveGroup: the broker must expire the session (6 s) and rebalance.
        const [killed, ...survivors] = [members[2], members[0], members[1]];
        const killedPartitions = [...killed.assignment];
        killed.kill('SIGKILL');
        await killed.exited;

        const takenOver = () => survivors.every((m) => m.assignment.length === 3) && owned(survivors).join() === '0,1,2,3,4,5';
        const takeoverReached = await eventually(takenOver, 60_000);
        if (!takeoverReached) throw new Error(`survivors did not take over [${killedPartitions}]:\n${describeMembers(survivors)}`);
        for (const p of killedPartitions) expect(owned(survivors)).toContain(p);

        const after = await pythonFixture<ListedGroups>('confluent_admin.py', [broker.address, 'list_groups'], {
          credential: broker.credential,
        });
        const afterGroup = after.groups.find((g) => g.id === group);
        expect(afterGroup).toMatchObject({ state: 'Stable' });
        expect(afterGroup!.members.map((m) => m.id).sort()).toEqual(survivors.map((m) => m.memberId).sort());
      } finally {
        for (const m of members) m.kill('SIGKILL');
        await Promise.all(members.map((m) => m.exited));
      }
    },
  );

  it('resumes a group at the offsets its members committed', async () => {
    const topic = `resume-${Date.now()}`;
    const group = `g-${topic}`;
    const produce = (from: number, to: number) =>
      kcat([...kcatBroker(broker), '-P', '-t', topic, '-K:'], {
        input: Array.from({ length: to - from }, (_, i) => `k${from + i}:m${from + i}\n`).join(''),
        timeoutMs: 60_000,
      });
    await produce(0, 300);

    // kcat commits what it consumed when it leaves the group on SIGTERM (auto commit, then close).
    const first = new KcatGroupMember(broker, group, topic);
    let firstRun: Consumed[];
    try {
      expect(await eventually(() => first.lines.length >= 300, 60_000)).toBe(true);
    } finally {
      first.kill('SIGTERM');
      await first.exited;
      firstRun = parseConsumed(first.lines.join('\n'));
    }
    expect(new Set(firstRun.map((m) => m.value)).size).toBe(300);

    await produce(300, 330);
    const second = new KcatGroupMember(broker, group, topic);
    try {
      expect(await eventually(() => second.lines.length >= 30, 60_000)).toBe(true);
      // Nothing already committed comes back: give a late duplicate the chance to show up.
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      second.kill('SIGTERM');
      await second.exited;
    }
    const secondRun = parseConsumed(second.lines.join('\n'));
    expect(secondRun.map((m) => m.value).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `m${300 + i}`).sort());
  });
});
