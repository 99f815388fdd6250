import { toOutputValue } from './model-input';

describe('a prediction as a Value', () => {
  it('answers a boolean for the classes of a boolean label, as its training set wrote them', () => {
    expect(toOutputValue('true', ['false', 'true'])).toEqual({ boolValue: true });
    expect(toOutputValue('false', ['false', 'true'])).toEqual({ boolValue: false });
  });

  it('keeps any other class as its text and a regression value as a number', () => {
    expect(toOutputValue('churned', ['churned', 'stayed'])).toEqual({ stringValue: 'churned' });
    // Three classes one of which is "true" are no boolean.
    expect(toOutputValue('true', ['false', 'maybe', 'true'])).toEqual({ stringValue: 'true' });
    expect(toOutputValue(12.5, [])).toEqual({ numberValue: 12.5 });
    expect(toOutputValue(1, [0, 1])).toEqual({ numberValue: 1 });
  });
});
