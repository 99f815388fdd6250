import { InvalidArgumentException, type FieldViolation } from '@flywheel/platform';
import { ALIAS_PATTERN, MODEL_NAME_PATTERN, NAME_RULE } from './names';

/**
 * Collects every problem of a request before answering, so the caller fixes them in one go;
 * fields are named as the .proto spells them (`model_name`, `policy.min_holdout_rows`).
 */
export class RequestChecks {
  private readonly violations: FieldViolation[] = [];

  modelName(field: string, value: string | null | undefined): this {
    if (!value) return this.fail(field, 'is required');
    if (!MODEL_NAME_PATTERN.test(value)) return this.fail(field, NAME_RULE);
    return this;
  }

  alias(field: string, value: string | null | undefined, options: { optional?: boolean } = {}): this {
    if (!value) return options.optional ? this : this.fail(field, 'is required');
    if (!ALIAS_PATTERN.test(value)) return this.fail(field, NAME_RULE);
    return this;
  }

  version(field: string, value: number | null | undefined): this {
    if (!Number.isSafeInteger(value) || (value as number) < 1) return this.fail(field, 'must be a version number ≥ 1');
    return this;
  }

  maxLength(field: string, value: string | null | undefined, max: number): this {
    if ((value ?? '').length > max) return this.fail(field, `must be at most ${max} characters`);
    return this;
  }

  check(condition: boolean, field: string, reason: string): this {
    return condition ? this : this.fail(field, reason);
  }

  fail(field: string, reason: string): this {
    this.violations.push({ field, reason });
    return this;
  }

  /** Throws INVALID_ARGUMENT naming every bad field, if any. */
  done(): void {
    if (this.violations.length > 0) throw new InvalidArgumentException(this.violations);
  }
}
