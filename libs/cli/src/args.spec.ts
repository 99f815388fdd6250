import { type OptionSpecs, parseNumber, parseOptions, type PositionalSpecs } from './args';
import { UsageError } from './errors';

const specs: OptionSpecs = {
  data: { type: 'string', required: true, value: 'file', description: 'input' },
  param: { type: 'string', multiple: true, value: 'key=value', description: 'a parameter' },
  seed: { type: 'string', value: 'n', description: 'seed' },
  features: { type: 'string', description: 'names' },
  json: { type: 'boolean', description: 'json' },
};

const fails = (argv: string[]): string => {
  try {
    parseOptions(specs, argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`expected ${argv.join(' ')} to fail`);
};

describe('parseOptions', () => {
  it('reads strings, flags, repeated options and inline values', () => {
    const o = parseOptions(specs, ['--data', 'a.csv', '--param', 'C=0.5', '--param=max_iter=20', '--json', '--seed=-3']);
    expect(o.required('data')).toBe('a.csv');
    expect(o.flag('json')).toBe(true);
    expect(o.all('param')).toEqual(['C=0.5', 'max_iter=20']);
    expect(Object.fromEntries(o.pairs('param'))).toEqual({ C: '0.5', max_iter: '20' });
    expect(o.number('seed', { integer: true })).toBe(-3);
    expect(o.string('features')).toBeUndefined();
    expect(o.list('features')).toBeUndefined();
  });

  it('accepts a negative number as a separate value', () => {
    expect(parseOptions(specs, ['--data', 'x', '--seed', '-7']).number('seed')).toBe(-7);
  });

  it('reports each kind of mistake in one line', () => {
    expect(fails([])).toBe('missing --data <file>');
    expect(fails(['--data', 'x', '--nope'])).toBe('unknown option --nope');
    expect(fails(['--data', 'x', '-q'])).toBe('unknown option -q');
    expect(fails(['--data'])).toBe('--data needs a value');
    expect(fails(['--data', '--json'])).toBe('--data needs a value, got option --json (write --data=--json if that is the value)');
    expect(fails(['--data', 'x', '--json=yes'])).toBe('--json takes no value');
    expect(fails(['--data', 'x', '--data', 'y'])).toBe('--data given more than once');
    expect(fails(['--data', 'x', 'extra'])).toBe('unexpected argument "extra"');
    expect(fails(['--data', 'x', '--', '--json'])).toBe('unexpected argument "--json"');
    for (const message of [fails([]), fails(['--data', 'x', '--nope'])]) expect(message).not.toContain('\n');
  });

  it('does not mistake inherited object keys for options', () => {
    expect(fails(['--data', 'x', '--constructor'])).toBe('unknown option --constructor');
  });
});

describe('parseOptions with positionals', () => {
  const options: OptionSpecs = {
    reason: { type: 'string', value: 'text', description: 'why' },
    json: { type: 'boolean', description: 'json' },
  };
  const promote: PositionalSpecs = [
    { name: 'model', required: true, description: 'the model' },
    { name: 'version', required: true, description: 'the version' },
    { name: 'alias', description: 'the alias' },
  ];
  const compare: PositionalSpecs = [
    { name: 'model', required: true, description: 'the model' },
    { name: 'run', required: true, variadic: true, description: 'runs' },
  ];
  const failsWith = (positionals: PositionalSpecs, argv: string[]): string => {
    try {
      parseOptions(options, argv, positionals);
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      return (e as Error).message;
    }
    throw new Error(`expected ${argv.join(' ')} to fail`);
  };

  it('assigns values in order, before, between or after options', () => {
    const o = parseOptions(options, ['--reason', 'why', 'fraud', '--json', '3'], promote);
    expect([o.positional('model'), o.positional('version'), o.optionalPositional('alias')]).toEqual(['fraud', '3', undefined]);
    expect(o.string('reason')).toBe('why');
    expect(o.flag('json')).toBe(true);
    expect(parseOptions(options, ['fraud', '3', 'staging'], promote).optionalPositional('alias')).toBe('staging');
  });

  it('gives the variadic positional every remaining value, and takes values after "--" as positional', () => {
    expect(parseOptions(options, ['fraud', 'a', 'b', '--json', 'c'], compare).positionals('run')).toEqual(['a', 'b', 'c']);
    const dashed = parseOptions(options, ['--json', '--', 'fraud', '-x', '--json'], compare);
    expect([dashed.positional('model'), dashed.positionals('run')]).toEqual(['fraud', ['-x', '--json']]);
    expect(parseOptions(options, [], [{ name: 'key', variadic: true, description: 'keys' }]).positionals('key')).toEqual([]);
  });

  it('reports a missing or an extra positional in one line', () => {
    expect(failsWith(promote, [])).toBe('missing <model>');
    expect(failsWith(promote, ['fraud', '--json'])).toBe('missing <version>');
    expect(failsWith(compare, ['fraud'])).toBe('missing <run>');
    expect(failsWith(promote, ['fraud', '3', 'staging', 'extra'])).toBe('unexpected argument "extra"');
    expect(failsWith([], ['x'])).toBe('unexpected argument "x"');
  });

  it('still reports option mistakes when positionals are allowed', () => {
    expect(failsWith(promote, ['fraud', '3', '--nope'])).toBe('unknown option --nope');
    expect(failsWith(promote, ['fraud', '--reason'])).toBe('--reason needs a value');
  });

  it('refuses declarations that make positions ambiguous, as defects rather than usage errors', () => {
    const defect = (positionals: PositionalSpecs): string => {
      try {
        parseOptions(options, [], positionals);
      } catch (e) {
        expect(e).not.toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error('expected the declaration to be refused');
    };
    expect(
      defect([
        { name: 'a', variadic: true, description: '' },
        { name: 'b', description: '' },
      ]),
    ).toBe('variadic positional <a> must be the last one');
    expect(
      defect([
        { name: 'a', description: '' },
        { name: 'b', required: true, description: '' },
      ]),
    ).toBe('required positional <b> follows an optional one');
    expect(
      defect([
        { name: 'a', description: '' },
        { name: 'a', description: '' },
      ]),
    ).toBe('positional <a> is declared twice');
  });
});

describe('ParsedOptions conversions', () => {
  const parse = (...argv: string[]) => parseOptions(specs, ['--data', 'x', ...argv]);

  it('splits key=value at the last "=", allowing bare values only when asked', () => {
    expect([...parse('--param', 'a=b=1', '--param', 'ks').pairs('param', { bareValue: true })]).toEqual([
      ['a=b', '1'],
      [null, 'ks'],
    ]);
    expect(() => parse('--param', 'ks').pairs('param')).toThrow('--param expects key=value, got "ks"');
    expect(() => parse('--param', '=1').pairs('param')).toThrow('--param has no key in "=1"');
    expect(() => parse('--param', 'a=').pairs('param')).toThrow('--param has no value in "a="');
    expect(() => parse('--param', 'a=1', '--param', 'a=2').pairs('param')).toThrow('--param sets "a" twice');
  });

  it('reads comma-separated names', () => {
    expect(parse('--features', ' a, b ,c').list('features')).toEqual(['a', 'b', 'c']);
    expect(() => parse('--features', 'a,,b').list('features')).toThrow('--features has an empty name in "a,,b"');
    expect(() => parse('--features', 'a,b,a').list('features')).toThrow('--features names "a" twice');
  });

  it('checks numbers against their range, naming what was expected', () => {
    expect(parseNumber('0.25', '--fdr', { min: 0, max: 1, exclusiveMin: true })).toBe(0.25);
    expect(() => parseNumber('0', '--fdr', { min: 0, max: 1, exclusiveMin: true })).toThrow('--fdr must be a number > 0 and ≤ 1, got "0"');
    expect(() => parseNumber('1.5', '--seed', { integer: true, min: 0 })).toThrow('--seed must be an integer ≥ 0, got "1.5"');
    expect(() => parseNumber('', '--x')).toThrow('--x must be a number, got ""');
    expect(() => parseNumber('1e999', '--x')).toThrow('--x must be a number, got "1e999"');
    expect(() => parse('--seed', 'abc').number('seed')).toThrow('--seed must be a number, got "abc"');
  });
});
