import { type registryV1 } from '@flywheel/contracts';
import { higherIsBetter, isKnownMetric, metricValue } from './metrics';
import { type ChallengerScores, decidePromotion, effectivePolicy } from './promotion-policy';

const defaults = { minAbsoluteImprovement: 0, minRelativeImprovement: 0.01, minHoldoutRows: 100 };

function policy(overrides: Partial<registryV1.PromotionPolicy> = {}): registryV1.PromotionPolicy {
  return { ...effectivePolicy('fraud', undefined, defaults), ...overrides };
}

function scores(overrides: Partial<ChallengerScores>): ChallengerScores {
  return {
    metric: 'roc_auc',
    championVersion: 1,
    challengerVersion: 2,
    championValue: 0.874,
    challengerValue: 0.912,
    holdoutRows: 500,
    ...overrides,
  };
}

describe('effective promotion policy', () => {
  it('is the configured default until a model has its own: production, auto-promote, the spec’s metric', () => {
    expect(effectivePolicy('fraud', undefined, defaults)).toEqual({
      modelName: 'fraud',
      autoPromote: true,
      alias: 'production',
      metric: '',
      minAbsoluteImprovement: 0,
      minRelativeImprovement: 0.01,
      minHoldoutRows: 100,
      autoDeploy: true,
    });
  });

  it('resolves the contract’s empty values of a stored policy (alias → production, 0 rows → 100)', () => {
    const stored = {
      autoPromote: false,
      alias: '',
      metric: 'rmse',
      minAbsoluteImprovement: 0.5,
      minRelativeImprovement: 0,
      minHoldoutRows: 0,
    };
    expect(effectivePolicy('price', stored, defaults)).toEqual({
      modelName: 'price',
      ...stored,
      alias: 'production',
      minHoldoutRows: 100,
      autoDeploy: true,
    });
    expect(effectivePolicy('price', { ...stored, autoDeploy: false }, defaults).autoDeploy).toBe(false);
    expect(effectivePolicy('price', { ...stored, alias: 'staging', minHoldoutRows: 20 }, defaults)).toMatchObject({
      alias: 'staging',
      minHoldoutRows: 20,
    });
  });
});

describe('promotion decision', () => {
  it('promotes a challenger that beats the champion by both margins, saying by how much', () => {
    const decision = decidePromotion(policy({ minAbsoluteImprovement: 0.01 }), scores({}));
    expect(decision.promote).toBe(true);
    expect(decision.absoluteImprovement).toBeCloseTo(0.038, 12);
    expect(decision.relativeImprovement).toBeCloseTo(0.038 / 0.874, 12);
    expect(decision.reasons).toEqual(['roc_auc 0.912 beats champion v1 0.874 by 0.038 (4.35%) ≥ 0.01 and ≥ 1% on 500 holdout rows']);
  });

  it('refuses a worse challenger with the reason in words', () => {
    const decision = decidePromotion(policy(), scores({ challengerValue: 0.861 }));
    expect(decision.promote).toBe(false);
    expect(decision.absoluteImprovement).toBeCloseTo(-0.013, 12);
    expect(decision.reasons).toEqual(['roc_auc 0.861 is below champion v1 0.874 (higher is better)']);
  });

  it('refuses a tie: the challenger must be strictly better even with margins off', () => {
    const decision = decidePromotion(policy({ minRelativeImprovement: 0 }), scores({ challengerValue: 0.874 }));
    expect(decision).toMatchObject({ promote: false, reasons: ['roc_auc 0.874 only ties champion v1 0.874'] });
    expect(decidePromotion(policy({ minRelativeImprovement: 0 }), scores({ challengerValue: 0.8741 })).promote).toBe(true);
  });

  it('refuses an improvement within the absolute margin, and one within the relative margin', () => {
    const absolute = decidePromotion(policy({ minAbsoluteImprovement: 0.05, minRelativeImprovement: 0 }), scores({}));
    expect(absolute).toMatchObject({
      promote: false,
      reasons: ['roc_auc improves on champion v1 by 0.038 < minimum absolute improvement 0.05'],
    });
    const relative = decidePromotion(policy({ minRelativeImprovement: 0.05 }), scores({}));
    expect(relative).toMatchObject({
      promote: false,
      reasons: ['roc_auc improves on champion v1 by 4.35% < minimum relative improvement 5%'],
    });
  });

  it('needs both margins when both are set, and lists every one that is missed', () => {
    const both = decidePromotion(policy({ minAbsoluteImprovement: 0.05, minRelativeImprovement: 0.05 }), scores({}));
    expect(both.promote).toBe(false);
    expect(both.reasons).toHaveLength(2);
    expect(decidePromotion(policy({ minAbsoluteImprovement: 0.01, minRelativeImprovement: 0.05 }), scores({})).promote).toBe(false);
    expect(decidePromotion(policy({ minAbsoluteImprovement: 0.05, minRelativeImprovement: 0.01 }), scores({})).promote).toBe(false);
  });

  it('reads lower-is-better metrics the other way round (rmse, log_loss)', () => {
    const lower = decidePromotion(policy(), scores({ metric: 'rmse', championValue: 12.5, challengerValue: 11.2 }));
    expect(lower.promote).toBe(true);
    expect(lower.higherIsBetter).toBe(false);
    expect(lower.absoluteImprovement).toBeCloseTo(1.3, 12);
    expect(lower.relativeImprovement).toBeCloseTo(1.3 / 12.5, 12);

    const higher = decidePromotion(policy(), scores({ metric: 'log_loss', championValue: 0.31, challengerValue: 0.35 }));
    expect(higher.promote).toBe(false);
    expect(higher.absoluteImprovement).toBeCloseTo(-0.04, 12);
    expect(higher.reasons).toEqual(['log_loss 0.35 is above champion v1 0.31 (lower is better)']);

    const withinMargin = decidePromotion(
      policy({ minAbsoluteImprovement: 0.02 }),
      scores({ metric: 'log_loss', championValue: 0.31, challengerValue: 0.3 }),
    );
    expect(withinMargin.promote).toBe(false);
  });

  it('refuses a comparison on too small a holdout, whatever the scores', () => {
    const decision = decidePromotion(policy({ minHoldoutRows: 1000 }), scores({}));
    expect(decision).toMatchObject({ promote: false, reasons: ['holdout has 500 rows; the policy needs at least 1000'] });
  });

  it('does not apply a relative margin over a champion that scored 0, and refuses non-finite scores', () => {
    const fromZero = decidePromotion(
      policy({ minRelativeImprovement: 0.5 }),
      scores({ metric: 'r2', championValue: 0, challengerValue: 0.2 }),
    );
    expect(fromZero).toMatchObject({ promote: true, relativeImprovement: 0 });
    const nan = decidePromotion(policy(), scores({ challengerValue: Number.NaN }));
    expect(nan.promote).toBe(false);
    expect(nan.reasons[0]).toContain('not a finite number');
  });
});

describe('metrics', () => {
  it('knows each metric’s direction and the key evaluateModel reports it under', () => {
    expect(['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'r2'].every(higherIsBetter)).toBe(true);
    expect(['log_loss', 'brier', 'rmse', 'mae'].some(higherIsBetter)).toBe(false);
    expect(metricValue('roc_auc', { rocAuc: 0.9, accuracy: 0.8 })).toBe(0.9);
    expect(metricValue('log_loss', { logLoss: 0.3 })).toBe(0.3);
    expect(metricValue('roc_auc', { roc_auc: 0.7 })).toBe(0.7);
    expect(metricValue('roc_auc', { accuracy: 0.8 })).toBeUndefined();
    expect(isKnownMetric('auc')).toBe(false);
    expect(() => higherIsBetter('auc')).toThrow('unknown metric "auc"');
  });
});
