import { withDefaults } from './with-defaults';

describe('withDefaults', () => {
  const defaults = { pollIntervalMs: 1000, batchSize: 200, name: 'relay' };

  it('keeps a default when the option is present but undefined', () => {
    const relayOptions: { pollIntervalMs?: number; batchSize?: number } = { pollIntervalMs: undefined, batchSize: undefined };
    expect(withDefaults(defaults, relayOptions)).toEqual({ pollIntervalMs: 1000, batchSize: 200, name: 'relay' });
  });

  it('takes defined values, including falsy ones, later overrides winning', () => {
    expect(withDefaults(defaults, { batchSize: 0 }, undefined, { name: '', pollIntervalMs: 5 })).toEqual({
      pollIntervalMs: 5,
      batchSize: 0,
      name: '',
    });
  });

  it('does not change the defaults object', () => {
    withDefaults(defaults, { batchSize: 1 });
    expect(defaults.batchSize).toBe(200);
  });
});
