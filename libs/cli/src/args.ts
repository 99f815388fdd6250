import { parseArgs } from 'node:util';
import { UsageError } from './errors';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** May be given more than once; the values are kept in order. */
  readonly multiple?: boolean;
  readonly required?: boolean;
  /** One-letter alias, `f` for `-f` (as kubectl's `-f <file>`). */
  readonly short?: string;
  /** Placeholder for the value in help, e.g. `file` for `--data <file>`. */
  readonly value?: string;
  readonly description: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** A value given by position, `flywheel models show <model>`: what names the thing a command acts on. */
export interface PositionalSpec {
  /** Shown as `<name>` in help and errors, and the key to read it by. */
  readonly name: string;
  readonly description: string;
  readonly required?: boolean;
  /** Takes every remaining value; only the last positional may. */
  readonly variadic?: boolean;
}

export type PositionalSpecs = readonly PositionalSpec[];

/** Allowed values of a number; bounds are inclusive unless marked exclusive. */
export interface NumberRange {
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly exclusiveMin?: boolean;
  readonly exclusiveMax?: boolean;
}

/**
 * Parses a command's options and positional arguments with `node:util` parseArgs, reporting every
 * mistake as a one-line usage error: unknown options, a missing or misplaced value, a repeated
 * single option, a missing or extra positional argument, a missing required option. Positionals
 * may come before, between or after options; after `--` everything is positional, so a value
 * that starts with "-" can still be given.
 */
export function parseOptions(specs: OptionSpecs, argv: readonly string[], positionalSpecs: PositionalSpecs = []): ParsedOptions {
  checkPositionalSpecs(positionalSpecs);
  const config: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [name, spec] of Object.entries(specs))
    config[name] = { type: spec.type, multiple: spec.multiple === true, ...(spec.short ? { short: spec.short } : {}) };
  // Not strict: parseArgs' own messages are multi-line and generic, so the checks below say it better.
  const { values, tokens } = parseArgs({ args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true });
  const seen = new Set<string>();
  const given: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') given.push(token.value);
    if (token.kind !== 'option') continue;
    const spec = Object.hasOwn(specs, token.name) ? specs[token.name] : undefined;
    if (!spec) throw new UsageError(`unknown option ${token.rawName}`);
    if (spec.type === 'boolean') {
      if (token.inlineValue) throw new UsageError(`${token.rawName} takes no value`);
    } else if (token.value === undefined) {
      throw new UsageError(`${token.rawName} needs a value`);
    } else if (!token.inlineValue && token.value.startsWith('-') && token.value !== '-' && !/^-\d/.test(token.value)) {
      // "--data --label y" is far more often a forgotten value than a file called "--label".
      throw new UsageError(
        `${token.rawName} needs a value, got option ${token.value} (write ${token.rawName}=${token.value} if that is the value)`,
      );
    }
    if (seen.has(token.name) && !spec.multiple) throw new UsageError(`${token.rawName} given more than once`);
    seen.add(token.name);
  }
  const positionals = assignPositionals(positionalSpecs, given);
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.required && !seen.has(name)) throw new UsageError(`missing --${name}${spec.value ? ` <${spec.value}>` : ''}`);
  }
  return new ParsedOptions(values as Record<string, string | boolean | string[] | undefined>, positionals);
}

/**
 * Declarations that would make positions ambiguous are defects of the command, not of the call:
 * a required value after an optional one, or a variadic one anywhere but last.
 */
function checkPositionalSpecs(specs: PositionalSpecs): void {
  specs.forEach((spec, i) => {
    if (specs.findIndex((s) => s.name === spec.name) !== i) throw new Error(`positional <${spec.name}> is declared twice`);
    if (spec.variadic && i !== specs.length - 1) throw new Error(`variadic positional <${spec.name}> must be the last one`);
    if (spec.required && specs.slice(0, i).some((s) => !s.required))
      throw new Error(`required positional <${spec.name}> follows an optional one`);
  });
}

/** Values in the order given, matched to the declarations in order; the variadic one takes the rest. */
function assignPositionals(specs: PositionalSpecs, given: readonly string[]): Map<string, string | string[]> {
  const out = new Map<string, string | string[]>();
  let next = 0;
  for (const spec of specs) {
    if (spec.variadic) {
      if (next < given.length) out.set(spec.name, given.slice(next));
      next = given.length;
    } else if (next < given.length) out.set(spec.name, given[next++]);
    if (spec.required && !out.has(spec.name)) throw new UsageError(`missing <${spec.name}>`);
  }
  if (next < given.length) throw new UsageError(`unexpected argument ${JSON.stringify(given[next])}`);
  return out;
}

/** Typed access to parsed options and positionals; conversions report the option by name. */
export class ParsedOptions {
  constructor(
    private readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>,
    private readonly positionalValues: ReadonlyMap<string, string | readonly string[]>,
  ) {}

  /** A positional the spec marks required, so parsing has already checked it is there. */
  positional(name: string): string {
    const v = this.positionalValues.get(name);
    if (typeof v !== 'string') throw new UsageError(`missing <${name}>`);
    return v;
  }

  /** An optional positional, undefined when not given. */
  optionalPositional(name: string): string | undefined {
    const v = this.positionalValues.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  /** Every value of a variadic positional, in order (none when an optional one is not given). */
  positionals(name: string): string[] {
    const v = this.positionalValues.get(name);
    return v === undefined || typeof v === 'string' ? [] : [...v];
  }

  string(name: string): string | undefined {
    const v = this.values[name];
    return typeof v === 'string' ? v : undefined;
  }

  /** A string option the spec marks required, so parsing has already checked it is there. */
  required(name: string): string {
    const v = this.string(name);
    if (v === undefined) throw new UsageError(`missing --${name}`);
    return v;
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  /** Every value of a repeatable option, in order. */
  all(name: string): string[] {
    const v = this.values[name];
    return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  }

  /** A comma-separated list, `--features a,b,c`; names are trimmed and must be non-empty and distinct. */
  list(name: string): string[] | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const items = raw.split(',').map((s) => s.trim());
    if (items.some((s) => s === '')) throw new UsageError(`--${name} has an empty name in ${JSON.stringify(raw)}`);
    const repeated = items.find((s, i) => items.indexOf(s) !== i);
    if (repeated !== undefined) throw new UsageError(`--${name} names ${JSON.stringify(repeated)} twice`);
    return items;
  }

  /** A number checked against its range; integers must be safe integers. */
  number(name: string, range: NumberRange = {}): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    return parseNumber(raw, `--${name}`, range);
  }

  /**
   * `key=value` pairs of a repeatable option, split at the last `=` (keys may hold one, values
   * here never do). A value without a key is returned under `null` when `bareValue` allows it.
   */
  pairs(name: string, options: { bareValue?: boolean } = {}): Map<string | null, string> {
    const out = new Map<string | null, string>();
    for (const raw of this.all(name)) {
      const at = raw.lastIndexOf('=');
      const key = at < 0 ? null : raw.slice(0, at);
      const value = at < 0 ? raw : raw.slice(at + 1);
      if (key === null && !options.bareValue) throw new UsageError(`--${name} expects key=value, got ${JSON.stringify(raw)}`);
      if (key === '') throw new UsageError(`--${name} has no key in ${JSON.stringify(raw)}`);
      if (value === '') throw new UsageError(`--${name} has no value in ${JSON.stringify(raw)}`);
      if (out.has(key))
        throw new UsageError(key === null ? `--${name} given more than once without a key` : `--${name} sets ${JSON.stringify(key)} twice`);
      out.set(key, value);
    }
    return out;
  }
}

/** Parses `raw` as a number in `range`, or fails naming `what` and the expected range. */
export function parseNumber(raw: string, what: string, range: NumberRange = {}): number {
  const x = raw.trim() === '' ? Number.NaN : Number(raw);
  const lo = range.min === undefined ? '' : `${range.exclusiveMin ? '>' : '≥'} ${range.min}`;
  const hi = range.max === undefined ? '' : `${range.exclusiveMax ? '<' : '≤'} ${range.max}`;
  const expected = `${range.integer ? 'an integer' : 'a number'}${[lo, hi]
    .filter(Boolean)
    .map((b) => ` ${b}`)
    .join(' and')}`;
  const ok =
    Number.isFinite(x) &&
    (!range.integer || Number.isSafeInteger(x)) &&
    (range.min === undefined || (range.exclusiveMin ? x > range.min : x >= range.min)) &&
    (range.max === undefined || (range.exclusiveMax ? x < range.max : x <= range.max));
  if (!ok) throw new UsageError(`${what} must be ${expected}, got ${JSON.stringify(raw)}`);
  return x;
}
