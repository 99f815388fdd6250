import { minimizeLbfgs } from './lbfgs';

describe('minimizeLbfgs', () => {
  it('finds the minimum of the Rosenbrock function', () => {
    let evaluations = 0;
    const result = minimizeLbfgs(
      (x, g) => {
        evaluations++;
        const [a, b] = x;
        g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
        g[1] = 200 * (b - a * a);
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
      },
      Float64Array.from([-1.2, 1]),
      { gradientTolerance: 1e-10 },
    );
    expect(result.stop).toBe('gradient');
    expect(Math.abs(result.x[0] - 1)).toBeLessThan(1e-9);
    expect(Math.abs(result.x[1] - 1)).toBeLessThan(1e-9);
    expect(evaluations).toBeLessThan(200);
  });

  it('solves a badly scaled quadratic to the gradient tolerance', () => {
    const d = Float64Array.from({ length: 50 }, (_, i) => 10 ** ((4 * i) / 49));
    const result = minimizeLbfgs(
      (x, g) => {
        let f = 0;
        for (let i = 0; i < x.length; i++) {
          g[i] = d[i] * (x[i] - 1);
          f += 0.5 * d[i] * (x[i] - 1) ** 2;
        }
        return f;
      },
      new Float64Array(50),
      { gradientTolerance: 1e-9, maxIterations: 2000 },
    );
    expect(result.stop).toBe('gradient');
    expect(result.gradientMax).toBeLessThanOrEqual(1e-9);
    for (const v of result.x) expect(Math.abs(v - 1)).toBeLessThan(1e-8);
  });

  it('stops on the iteration budget', () => {
    const result = minimizeLbfgs(
      (x, g) => {
        g[0] = 4 * x[0] ** 3;
        return x[0] ** 4;
      },
      Float64Array.from([3]),
      { maxIterations: 2, gradientTolerance: 0 },
    );
    expect(result.stop).toBe('iterations');
    expect(result.iterations).toBe(2);
  });

  describe("the relative-decrease test (scipy's ftol)", () => {
    const rosenbrock =
      (scale: number) =>
      (x: Float64Array, g: Float64Array): number => {
        const [a, b] = x;
        g[0] = scale * (-2 * (1 - a) - 400 * a * (b - a * a));
        g[1] = scale * 200 * (b - a * a);
        return scale * ((1 - a) ** 2 + 100 * (b - a * a) ** 2);
      };

    it('stops at the first iteration that lowers f by at most ftol × max(|f before|, |f after|, 1)', () => {
      const ftol = 1e-6;
      const values = [rosenbrock(1)(Float64Array.from([-1.2, 1]), new Float64Array(2))];
      const result = minimizeLbfgs(rosenbrock(1), Float64Array.from([-1.2, 1]), {
        gradientTolerance: 0,
        functionTolerance: ftol,
        onIteration: (_i, f) => values.push(f),
      });
      expect(result.stop).toBe('decrease');
      const small = values.slice(1).map((f, k) => values[k] - f <= ftol * Math.max(Math.abs(values[k]), Math.abs(f), 1));
      expect(small.indexOf(true)).toBe(small.length - 1);
      expect(result.iterations).toBe(values.length - 1);
    });

    it('measures the decrease against the floor: a small objective with a floor of 1 stops early, with its own scale as floor it does not', () => {
      const options = { gradientTolerance: 0, functionTolerance: 1e-9 };
      const unscaled = minimizeLbfgs(rosenbrock(1), Float64Array.from([-1.2, 1]), options);
      const floorOne = minimizeLbfgs(rosenbrock(1e-5), Float64Array.from([-1.2, 1]), options);
      const ownFloor = minimizeLbfgs(rosenbrock(1e-5), Float64Array.from([-1.2, 1]), { ...options, functionFloor: 1e-5 });
      for (const result of [unscaled, floorOne, ownFloor]) expect(result.stop).toBe('decrease');
      expect(floorOne.iterations).toBeLessThan(ownFloor.iterations);
      for (const result of [unscaled, ownFloor]) for (const v of result.x) expect(Math.abs(v - 1)).toBeLessThan(1e-3);
      expect(Math.max(...Array.from(floorOne.x, (v) => Math.abs(v - 1)))).toBeGreaterThan(1e-3);
    });
  });
});
