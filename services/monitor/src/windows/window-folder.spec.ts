import { type Claim, FEATURES, generateClaims } from '../../test/claims-data';
import { predictionEntry, referenceFrom } from '../../test/monitor-fixtures';
import { decideNotification } from '../alerts/alert-policy';
import { defaultPolicy, type EffectivePolicy } from '../policy/monitoring-policy';
import { type ClosedWindow, closeIfExpired, type FoldContext, foldEntries, type JournalEntry, type OpenWindow } from './window-folder';
import { type Reference, tallyAccuracy } from './window-judge';
import { emptyWindow, restoreWindow, serializeWindow } from './window-state';

const WINDOW = 500;

function policy(overrides: Partial<EffectivePolicy> = {}): EffectivePolicy {
  return { ...defaultPolicy('fraud'), windowSize: WINDOW, minLabelled: 50, ...overrides };
}

let ids = 0;
function context(reference: Reference, p = policy()): FoldContext {
  return { reference, policy: p, newId: () => `id-${++ids}`, now: () => new Date('2026-01-01T00:00:00Z') };
}

function open(reference: Reference): OpenWindow {
  return { windowId: 'w-1', sequence: 1, deployment: 'fraud', summary: emptyWindow(reference.profile) };
}

let clock = Date.parse('2026-01-01T00:00:00Z');
function predictions(claims: readonly Claim[], prefix: string): JournalEntry[] {
  return claims.map((c, i) => predictionEntry(c, prefix, i, (clock += 1000)));
}

describe('window folding and drift', () => {
  const reference = referenceFrom(generateClaims(5_000, 1));

  it('finds no drift over several windows from the training distribution', () => {
    // Windows of 1 000: Evidently's 0.1 on normalised Wasserstein is meant for samples this large.
    const live = generateClaims(4 * 1_000, 2);
    const { closed, open: next } = foldEntries(
      context(reference, policy({ windowSize: 1_000 })),
      open(reference),
      predictions(live, 'same'),
    );
    expect(closed).toHaveLength(4);
    expect(next.summary.predictions).toBe(0);
    for (const window of closed) {
      expect(window.reason).toBe('size');
      expect(window.judgement.datasetDrift).toBe(false);
      expect(window.judgement.driftedFeatures).toEqual([]);
      expect(window.judgement.report.features.map((f) => f.feature)).toEqual([...FEATURES]);
      // 5 000 reference rows: Evidently's distance tests (Wasserstein, Jensen-Shannon).
      expect(window.judgement.report.features.map((f) => f.pValue)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    }
    // The first window is the prediction baseline; the later ones do not drift from it.
    expect(closed[0].judgement.newBaseline).not.toBeNull();
  });

  it('finds drift on exactly the two shifted features, names the closing event, and keeps judging', () => {
    const live = generateClaims(2 * WINDOW, 3, true);
    const entries = predictions(live, 'shifted');
    const { closed } = foldEntries(context(reference, policy({ driftShareThreshold: 0.3 })), open(reference), entries);
    expect(closed).toHaveLength(2);
    for (const window of closed) {
      expect(window.judgement.driftedFeatures.sort()).toEqual(['amount', 'channel']);
      expect(window.judgement.datasetDrift).toBe(true);
      expect(window.judgement.report.driftedShare).toBeCloseTo(0.4, 10);
    }
    expect(closed[0].closedBy).toBe(entries[WINDOW - 1].eventId);
    expect(closed[1].closedBy).toBe(entries[2 * WINDOW - 1].eventId);
    const amount = closed[0].judgement.report.features.find((f) => f.feature === 'amount');
    expect(amount).toMatchObject({ test: 4, drifted: true, referenceCount: 5_000, currentCount: WINDOW, threshold: 0.1 });
  });

  it("corrects the prediction's p-value test together with the features'", () => {
    const training = generateClaims(500, 1);
    const small = referenceFrom(training);
    const baseline = { '0': training.filter((c) => c.amount <= 1100).length, '1': training.filter((c) => c.amount > 1100).length };
    const withBaseline: Reference = { ...small, predictionBaseline: baseline };
    const live = predictions(generateClaims(WINDOW, 6), 'corrected');
    const judge = (correct: boolean) =>
      foldEntries(context(withBaseline, policy({ correctForMultipleTests: correct })), open(withBaseline), live).closed[0].judgement.report;
    // 500 reference rows: every test is a p-value test (KS, chi-square, z), so the family is 5 features + the prediction.
    expect(judge(false).prediction?.threshold).toBeCloseTo(0.05, 12);
    const corrected = judge(true);
    expect(corrected.prediction?.threshold).toBeCloseTo(0.05 / 6, 12);
    expect(corrected.features.every((f) => Math.abs(f.threshold - 0.05 / 6) < 1e-12)).toBe(true);
  });

  it('uses the policy’s test and threshold for one feature and reports it', () => {
    const live = generateClaims(WINDOW, 4);
    const p = policy({
      featureTests: [
        { feature: 'region', test: 'psi', threshold: 0.2 },
        { feature: 'tenure', test: 'ks', threshold: 0.05 },
      ],
    });
    const [window] = foldEntries(context(reference, p), open(reference), predictions(live, 'policy')).closed;
    const byName = Object.fromEntries(window.judgement.report.features.map((f) => [f.feature, f]));
    expect(byName.region).toMatchObject({ test: 3, threshold: 0.2, drifted: false });
    expect(byName.tenure).toMatchObject({ test: 1, threshold: 0.05 });
    expect(byName.tenure.pValue).toBeGreaterThan(0.05);
  });

  it('joins labels that arrive late (in a later window) and ignores missing ones in accuracy', () => {
    const live = generateClaims(WINDOW + 100, 5);
    const entries = predictions(live, 'labelled');
    const labelled: JournalEntry[] = [];
    let correct = 0;
    // Labels for 150 of the first window's predictions arrive after it closed; the other 350 never do.
    for (let i = 0; i < 150; i++) {
      const prediction = entries[i];
      if (prediction.kind !== 'prediction') throw new Error('expected a prediction');
      const truth = live[i].fraud === 1 ? '1' : '0';
      if (truth === prediction.entry.outputKey) correct++;
      labelled.push({
        kind: 'label',
        eventId: `label-${i}`,
        time: clock,
        deployment: 'fraud',
        entry: {
          requestId: `labelled-${i}`,
          truthKey: truth,
          predictedKey: prediction.entry.outputKey,
          truthNumber: null,
          predictedNumber: null,
        },
      });
    }
    const ctx = context(reference);
    const first = foldEntries(ctx, open(reference), entries);
    expect(first.closed).toHaveLength(1);
    expect(first.closed[0].judgement.performance).toBeNull();
    const second = foldEntries(ctx, first.open, labelled);
    expect(second.open.summary.labels.labelled).toBe(150);
    expect(tallyAccuracy(second.open.summary.labels)).toBeCloseTo(correct / 150, 12);
  });

  it('judges performance against the holdout once enough labels arrived', () => {
    const live = generateClaims(WINDOW, 6, true);
    const entries = predictions(live, 'degraded');
    const labels: JournalEntry[] = entries.slice(0, 200).map((p, i) => ({
      kind: 'label',
      eventId: `l-${i}`,
      time: clock,
      deployment: 'fraud',
      entry: {
        requestId: `degraded-${i}`,
        truthKey: String(live[i].fraud),
        predictedKey: p.kind === 'prediction' ? p.entry.outputKey : null,
        truthNumber: null,
        predictedNumber: null,
      },
    }));
    // Labels folded while the window is open count in it.
    const { closed } = foldEntries(context(reference), open(reference), [...entries.slice(0, 300), ...labels, ...entries.slice(300)]);
    const performance = closed[0].judgement.performance;
    expect(performance).toMatchObject({ metric: 'accuracy', reference: 0.9, labelled: 200, degraded: true });
    expect(performance?.current).toBeLessThan(0.85);
  });

  it('closes a window by time when it holds the minimum, by event time and by the clock', () => {
    const p = policy({ windowDurationMs: 60_000, minWindowSize: 100 });
    const live = generateClaims(150, 7);
    const entries = predictions(live, 'timed'); // one second apart
    const { closed, open: next } = foldEntries(context(reference, p), open(reference), entries);
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ reason: 'time', closedBy: entries[99].eventId });
    expect(closed[0].window.summary.predictions).toBe(100);
    expect(next.summary.predictions).toBe(50);
    expect(closeIfExpired(context(reference, p), next, new Date(clock + 1_000)).closed).toBeNull();
    const more = foldEntries(context(reference, p), next, predictions(generateClaims(50, 8), 'more'));
    const expired = closeIfExpired(context(reference, p), more.open, new Date(clock + 120_000));
    expect(expired.closed).toMatchObject({ reason: 'time' });
  });

  it('restores a saved window summary exactly (a restart mid-window continues it)', () => {
    const live = generateClaims(WINDOW, 9, true);
    const entries = predictions(live, 'restart');
    const ctx = context(reference, policy({ driftShareThreshold: 0.3 }));
    const whole = foldEntries(ctx, open(reference), entries).closed[0] as ClosedWindow;
    const half = foldEntries(ctx, open(reference), entries.slice(0, 200)).open;
    const saved = JSON.parse(JSON.stringify(serializeWindow(half.summary)));
    const resumed = { ...half, summary: restoreWindow(reference.profile, saved) };
    const after = foldEntries(ctx, resumed, entries.slice(200)).closed[0] as ClosedWindow;
    const strip = (c: ClosedWindow) => c.judgement.report.features.map((f) => [f.feature, f.statistic, f.drifted]);
    expect(strip(after)).toEqual(strip(whole));
    expect(after.closedBy).toBe(whole.closedBy);
  });

  it('maps categories beyond the profile’s top values to one "other" category', () => {
    const training = generateClaims(2_000, 10).map((c, i) => ({ ...c, channel: i % 2 === 0 ? c.channel : `ch-${i % 300}` }));
    const ref = referenceFrom(training);
    const channel = ref.profile.features.find((f) => f.name === 'channel');
    expect(channel?.type).toBe('categorical');
    expect(Object.keys(channel?.type === 'categorical' ? channel.frequencies : {})).toHaveLength(100 + 1);
    const { closed } = foldEntries(
      context(ref),
      open(ref),
      predictions(
        generateClaims(WINDOW, 11).map((c, i) => ({ ...c, channel: i % 2 === 0 ? c.channel : `ch-${i % 300}` })),
        'other',
      ),
    );
    expect(closed[0].judgement.report.features.find((f) => f.feature === 'channel')?.drifted).toBe(false);
  });
});

describe('alert cooldown', () => {
  it('raises once, suppresses within the cooldown, publishes again after it', () => {
    const now = new Date('2026-01-01T12:00:00Z');
    expect(decideNotification(null, now, 60_000)).toBe('raise');
    expect(decideNotification({ notifyTime: new Date(now.getTime() - 59_000) }, now, 60_000)).toBe('suppress');
    expect(decideNotification({ notifyTime: new Date(now.getTime() - 60_000) }, now, 60_000)).toBe('renotify');
  });
});
