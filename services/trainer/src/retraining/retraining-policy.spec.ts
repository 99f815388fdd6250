import { trainerV1 } from '@flywheel/contracts';
import { decideRetraining, defaultPolicy, type PolicyFacts, type PolicySettings, startOfUtcDay } from './retraining-policy';

const R = trainerV1.DeclineReason;
const MINUTE = 60_000;
const NOW = new Date('2025-03-10T12:00:00.000Z');

const policy: PolicySettings = { ...defaultPolicy('fraud'), enabled: true, cooldownMs: 30 * MINUTE, dailyBudget: 2, minNewRows: 100 };
const facts: PolicyFacts = {
  now: NOW,
  trigger: 'drift',
  triggerSummary: 'drift on amount',
  lastActedAt: null,
  actedToday: 0,
  newRows: 500,
  inFlight: false,
  hasSpec: true,
};

describe('decideRetraining', () => {
  it('acts when every guard passes, and says until when the next one waits', () => {
    const verdict = decideRetraining(policy, facts);
    expect(verdict).toMatchObject({ acted: true, declineReasons: [], cooldownUntil: new Date(NOW.getTime() + 30 * MINUTE) });
    expect(verdict.reasons).toEqual([
      'drift on amount',
      "500 new rows since the last run's data (minimum 100)",
      'run 1 of 2 today (UTC)',
      'next retraining not before 2025-03-10T12:30:00.000Z',
    ]);
  });

  it('declines within the cooldown of the last retraining and acts once it is over', () => {
    const lastActedAt = new Date(NOW.getTime() - 29 * MINUTE);
    const within = decideRetraining(policy, { ...facts, lastActedAt });
    expect(within).toMatchObject({
      acted: false,
      declineReasons: [R.DECLINE_REASON_COOLDOWN],
      cooldownUntil: new Date(NOW.getTime() + MINUTE),
    });
    expect(within.reasons).toContain('cooldown until 2025-03-10T12:01:00.000Z (last retraining 2025-03-10T11:31:00.000Z)');
    expect(decideRetraining(policy, { ...facts, lastActedAt, now: new Date(NOW.getTime() + MINUTE) }).acted).toBe(true);
  });

  it('declines once the daily budget is spent', () => {
    const verdict = decideRetraining(policy, { ...facts, actedToday: 2 });
    expect(verdict.declineReasons).toEqual([R.DECLINE_REASON_BUDGET_EXHAUSTED]);
    expect(verdict.reasons).toContain('daily budget used: 2 of 2 runs today (UTC)');
    expect(decideRetraining(policy, { ...facts, actedToday: 1 }).acted).toBe(true);
  });

  it('declines without enough new data, and skips the check for a first training or a zero minimum', () => {
    expect(decideRetraining(policy, { ...facts, newRows: 99 })).toMatchObject({
      acted: false,
      declineReasons: [R.DECLINE_REASON_NOT_ENOUGH_NEW_DATA],
      reasons: ['drift on amount', "99 new rows since the last run's data, fewer than 100"],
    });
    expect(decideRetraining(policy, { ...facts, newRows: 100 }).acted).toBe(true);
    expect(decideRetraining(policy, { ...facts, newRows: null }).acted).toBe(true);
    expect(decideRetraining({ ...policy, minNewRows: 0 }, { ...facts, newRows: 0 }).acted).toBe(true);
  });

  it('merges a trigger into a run already queued or running', () => {
    expect(decideRetraining(policy, { ...facts, inFlight: true })).toMatchObject({
      acted: false,
      declineReasons: [R.DECLINE_REASON_ALREADY_RUNNING],
    });
  });

  it('reports every guard that stands in the way, not just the first', () => {
    const verdict = decideRetraining(policy, {
      ...facts,
      lastActedAt: NOW,
      actedToday: 5,
      newRows: 0,
      inFlight: true,
      hasSpec: false,
    });
    expect(verdict.declineReasons).toEqual([
      R.DECLINE_REASON_COOLDOWN,
      R.DECLINE_REASON_BUDGET_EXHAUSTED,
      R.DECLINE_REASON_NOT_ENOUGH_NEW_DATA,
      R.DECLINE_REASON_ALREADY_RUNNING,
      R.DECLINE_REASON_NO_SPEC,
    ]);
    expect(verdict.reasons).toHaveLength(6);
  });

  it('declines everything while disabled, and the triggers it does not react to', () => {
    expect(decideRetraining(defaultPolicy('fraud'), facts)).toMatchObject({
      acted: false,
      declineReasons: [R.DECLINE_REASON_POLICY_DISABLED],
    });
    const onlyDrift = { ...policy, onPerformanceDegraded: false };
    expect(decideRetraining(onlyDrift, { ...facts, trigger: 'performance' })).toMatchObject({
      declineReasons: [R.DECLINE_REASON_POLICY_DISABLED],
      reasons: ['drift on amount', 'the retraining policy of fraud does not react to degraded performance'],
    });
    expect(decideRetraining(onlyDrift, facts).acted).toBe(true);
  });

  it('counts the budget per UTC day', () => {
    expect(startOfUtcDay(new Date('2025-03-10T23:59:59.999Z'))).toEqual(new Date('2025-03-10T00:00:00.000Z'));
    expect(startOfUtcDay(new Date('2025-03-11T00:00:00.000Z'))).toEqual(new Date('2025-03-11T00:00:00.000Z'));
  });
});
