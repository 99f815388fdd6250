import { paramNames, resolveParams } from './params';

describe('resolveParams', () => {
  it('fills sklearn defaults and converts CLI strings, accepting snake_case names', () => {
    const p = resolveParams('gbdt', { learning_rate: '0.05', maxLeafNodes: 'none', early_stopping: 'false', max_depth: '4' });
    expect(p).toMatchObject({
      learningRate: 0.05,
      maxLeafNodes: null,
      earlyStopping: false,
      maxDepth: 4,
      maxIter: 100,
      minSamplesLeaf: 20,
      maxBins: 255,
      tol: 1e-7,
    });
    expect(resolveParams('logreg')).toMatchObject({ C: 1, holdout: 0.2, impute: 'mean', scale: true });
    expect(paramNames('linear')).toContain('alpha');
  });

  it('rejects unknown names and out-of-range values, naming the parameter', () => {
    expect(() => resolveParams('linear', { C: 1 })).toThrow('unknown parameter "C" for linear');
    expect(() => resolveParams('gbdt', { maxBins: 256 })).toThrow('parameter "maxBins": expected an integer ≥ 2 and ≤ 255, got 256');
    expect(() => resolveParams('gbdt', { maxIter: '2.5' })).toThrow('parameter "maxIter": expected an integer ≥ 1 and ≤ 10000, got "2.5"');
    expect(() => resolveParams('logreg', { impute: 'zero' })).toThrow('parameter "impute": expected one of mean, median, most_frequent');
    expect(() => resolveParams('logreg', { holdout: 1 })).toThrow('parameter "holdout": expected a number ≥ 0 and < 1, got 1');
  });
});
