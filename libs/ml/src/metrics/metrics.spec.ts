import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  accuracy,
  averagePrecision,
  brierScore,
  confusionMatrix,
  f1Score,
  logLoss,
  meanAbsoluteError,
  precision,
  precisionRecallF1,
  r2Score,
  recall,
  rocAuc,
  rootMeanSquaredError,
  type Average,
  type ZeroDivision,
} from '.';

interface ClassificationCase {
  name: string;
  yTrue: number[];
  yPred: number[];
  scores?: number[];
  proba?: number[][];
  expected: {
    accuracy: number;
    confusion: { labels: number[]; counts: number[][] };
    prf: { average: Average; zeroDivision: ZeroDivision; precision: number; recall: number; f1: number }[];
    rocAuc?: number;
    averagePrecision?: number;
    logLoss?: number;
    brier?: number;
    rocAucOvrMacro?: number;
    rocAucOvrWeighted?: number;
  };
}
interface RegressionCase {
  name: string;
  yTrue: number[];
  yPred: number[];
  expected: { rmse: number; mae: number; r2: number };
}

const fixture = JSON.parse(readFileSync(join(__dirname, '../../fixtures/metrics-sklearn.json'), 'utf8')) as {
  classification: ClassificationCase[];
  regression: RegressionCase[];
};

// The tolerance for every metric: within 1e-9 of scikit-learn 1.2 (absolute; all values are O(1)).
const TOL = 1e-9;
const near = (actual: number, expected: number): void => {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(TOL);
};

describe('classification metrics against scikit-learn 1.2 fixtures', () => {
  describe.each(fixture.classification.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    it('accuracy and confusion matrix', () => {
      near(accuracy(c.yTrue, c.yPred), c.expected.accuracy);
      expect(confusionMatrix(Int32Array.from(c.yTrue), Float64Array.from(c.yPred))).toEqual(c.expected.confusion);
    });

    it.each(c.expected.prf.map((e) => [e.average, String(e.zeroDivision), e] as const))(
      'precision/recall/F1 average=%s zero_division=%s',
      (_a, _z, e) => {
        const options = { average: e.average, zeroDivision: e.zeroDivision };
        const r = precisionRecallF1(c.yTrue, c.yPred, options);
        near(r.precision, e.precision);
        near(r.recall, e.recall);
        near(r.f1, e.f1);
        near(precision(c.yTrue, c.yPred, options), e.precision);
        near(recall(c.yTrue, c.yPred, options), e.recall);
        near(f1Score(c.yTrue, c.yPred, options), e.f1);
      },
    );

    if (c.scores !== undefined && c.expected.rocAuc !== undefined) {
      const scores = c.scores;
      const e = c.expected;
      it('ROC AUC, average precision, log loss, Brier score', () => {
        near(rocAuc(c.yTrue, Float64Array.from(scores)), e.rocAuc as number);
        near(averagePrecision(c.yTrue, scores), e.averagePrecision as number);
        near(logLoss(c.yTrue, scores), e.logLoss as number);
        near(brierScore(c.yTrue, scores), e.brier as number);
      });
    }

    if (c.proba !== undefined) {
      const proba = c.proba;
      const e = c.expected;
      it('one-vs-rest ROC AUC and multiclass log loss, from rows and from a flat matrix', () => {
        const flat = { values: Float64Array.from(proba.flat()), columns: proba[0].length };
        near(rocAuc(c.yTrue, proba), e.rocAucOvrMacro as number);
        near(rocAuc(c.yTrue, flat, { average: 'weighted' }), e.rocAucOvrWeighted as number);
        near(logLoss(c.yTrue, proba), e.logLoss as number);
        near(logLoss(c.yTrue, flat), e.logLoss as number);
      });
    }
  });
});

describe('regression metrics against scikit-learn 1.2 fixtures', () => {
  it.each(fixture.regression.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    near(rootMeanSquaredError(c.yTrue, Float64Array.from(c.yPred)), c.expected.rmse);
    near(meanAbsoluteError(c.yTrue, c.yPred), c.expected.mae);
    near(r2Score(c.yTrue, c.yPred), c.expected.r2);
  });
});

describe('metric edge cases as scikit-learn treats them', () => {
  it('ROC AUC is undefined with one class', () => {
    expect(() => rocAuc([1, 1, 1], [0.2, 0.5, 0.9])).toThrow(/Only one class present/);
  });

  it("average='binary' refuses multiclass targets and an absent pos_label", () => {
    expect(() => precision([0, 1, 2], [0, 1, 2])).toThrow(/multiclass/);
    expect(() => precision([2, 3, 2], [2, 3, 3])).toThrow(/pos_label=1 is not a valid label/);
  });

  it('ROC AUC equals the Mann–Whitney probability with ties counted half (closed form)', () => {
    // Positives {0.5, 0.8}, negatives {0.5, 0.2}: pairs (0.5,0.5)=½, (0.5,0.2)=1, (0.8,·)=1,1 → 3.5/4.
    expect(rocAuc([1, 1, 0, 0], [0.5, 0.8, 0.5, 0.2])).toBe(3.5 / 4);
  });

  it('log loss clips certain wrong predictions at ε = 2.22e-16', () => {
    expect(logLoss([1, 0], [0, 1])).toBeCloseTo(-Math.log(2.220446049250313e-16), 12);
  });

  it('R² of fewer than two samples is NaN', () => {
    expect(r2Score([1], [1])).toBeNaN();
  });
});
