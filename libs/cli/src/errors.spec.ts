import { CsvError } from '@flywheel/ml';
import { UsageError, userInput } from './errors';

describe('userInput', () => {
  it('turns validation errors into usage errors naming the context', () => {
    const cases = [new Error('bad value'), new RangeError('bad value'), new CsvError('bad value', 1, 2, 'x')];
    for (const error of cases) {
      const thrown = (() => {
        try {
          return userInput('train.csv', () => {
            throw error;
          });
        } catch (e) {
          return e;
        }
      })();
      expect(thrown).toBeInstanceOf(UsageError);
      expect((thrown as Error).message).toBe('train.csv: bad value');
    }
  });

  it('lets defects through unchanged', () => {
    const defect = new TypeError('x is undefined');
    expect(() =>
      userInput('train.csv', () => {
        throw defect;
      }),
    ).toThrow(defect);
    expect(userInput(null, () => 42)).toBe(42);
  });
});
