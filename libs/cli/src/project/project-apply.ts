import { NotDoneError } from '../errors';
import { type PlatformState } from './platform-state';
import { type Action, type ProjectPlan } from './project-plan';

/**
 * An apply that stopped at an object: what was applied before it stays applied, so the error
 * names both sides for the person (and `--json`) to pick up from.
 */
export class PartlyAppliedError extends NotDoneError {
  constructor(
    readonly applied: readonly string[],
    readonly failed: string,
    /** The objects after the failed one. */
    readonly notApplied: readonly string[],
    reason: string,
  ) {
    super(
      `${failed} failed: ${reason}; ` +
        `applied: ${applied.length > 0 ? applied.join(', ') : 'nothing'}; not applied: ${[failed, ...notApplied].join(', ')}`,
    );
  }
}

export interface ApplyProgress {
  /** Called after each object is applied, `label` being `kind name`. */
  onApplied?(label: string, action: Action): void;
}

/**
 * Applies a plan's creates and changes in the plan's order (datasets before the views over them,
 * models before their policies), one at a time: a later object may need an earlier one. Stops at
 * the first failure with a PartlyAppliedError.
 */
export async function applyPlan(plan: ProjectPlan, platform: PlatformState, progress: ApplyProgress = {}): Promise<{ applied: string[] }> {
  const pending = plan.objects.filter((o) => o.apply);
  const applied: string[] = [];
  for (const [index, object] of pending.entries()) {
    const label = `${object.kind} ${object.name}`;
    try {
      await object.apply!(platform);
    } catch (error) {
      const notApplied = pending.slice(index + 1).map((o) => `${o.kind} ${o.name}`);
      throw new PartlyAppliedError(applied, label, notApplied, error instanceof Error ? error.message : String(error));
    }
    applied.push(label);
    progress.onApplied?.(label, object.action);
  }
  return { applied };
}
