import { type registryV1 } from '@flywheel/contracts';
import { higherIsBetter } from './metrics';

export const DEFAULT_ALIAS = 'production';
/** What `min_holdout_rows = 0` stands for (the contract's documented default). */
export const CONTRACT_MIN_HOLDOUT_ROWS = 100;

/** Nest token of the {@link PolicyDefaults} from the configuration. */
export const POLICY_DEFAULTS = Symbol('PolicyDefaults');

/** The configured margins a model follows until its own policy is set. */
export interface PolicyDefaults {
  readonly minAbsoluteImprovement: number;
  readonly minRelativeImprovement: number;
  readonly minHoldoutRows: number;
}

/** The policy in force: the stored one or the defaults, with the contract's empty values resolved. */
export function effectivePolicy(
  modelName: string,
  stored: Omit<registryV1.PromotionPolicy, 'modelName'> | undefined,
  defaults: PolicyDefaults,
): registryV1.PromotionPolicy {
  const policy = stored ?? { autoPromote: true, alias: '', metric: '', autoDeploy: true, ...defaults };
  return {
    modelName,
    autoPromote: policy.autoPromote,
    alias: policy.alias || DEFAULT_ALIAS,
    metric: policy.metric,
    minAbsoluteImprovement: policy.minAbsoluteImprovement,
    minRelativeImprovement: policy.minRelativeImprovement,
    minHoldoutRows: policy.minHoldoutRows || CONTRACT_MIN_HOLDOUT_ROWS,
    autoDeploy: policy.autoDeploy ?? true,
  };
}

export interface ChallengerScores {
  readonly metric: string;
  readonly championVersion: number;
  readonly challengerVersion: number;
  /** Both scored on the same rows: the challenger's holdout. */
  readonly championValue: number;
  readonly challengerValue: number;
  readonly holdoutRows: number;
}

export interface PromotionDecision {
  readonly promote: boolean;
  /** In words, for people reading the audit log and the events. */
  readonly reasons: string[];
  readonly higherIsBetter: boolean;
  /** Challenger minus champion in the metric's better direction. */
  readonly absoluteImprovement: number;
  /** `absoluteImprovement / |champion|`; 0 when the champion scored 0. */
  readonly relativeImprovement: number;
}

/**
 * Whether a challenger takes the alias from the champion: it must be strictly better on the
 * metric, by at least each margin the policy sets (absolute, relative or both), on a holdout
 * with enough rows. Every unmet condition is a reason; a promotion says by how much it won.
 */
export function decidePromotion(policy: registryV1.PromotionPolicy, scores: ChallengerScores): PromotionDecision {
  const { metric, championValue: champion, challengerValue: challenger } = scores;
  const higher = higherIsBetter(metric);
  const absolute = higher ? challenger - champion : champion - challenger;
  const relative = champion !== 0 ? absolute / Math.abs(champion) : 0;
  const champ = `champion v${scores.championVersion}`;
  const chall = `v${scores.challengerVersion}`;
  const reasons: string[] = [];

  if (!Number.isFinite(champion) || !Number.isFinite(challenger)) {
    reasons.push(`${metric} is not a finite number (${chall}: ${challenger}, ${champ}: ${champion})`);
    return { promote: false, reasons, higherIsBetter: higher, absoluteImprovement: 0, relativeImprovement: 0 };
  }
  if (scores.holdoutRows < policy.minHoldoutRows) {
    reasons.push(`holdout has ${scores.holdoutRows} rows; the policy needs at least ${policy.minHoldoutRows}`);
  }
  if (absolute < 0) {
    reasons.push(
      `${metric} ${fmt(challenger)} is ${higher ? 'below' : 'above'} ${champ} ${fmt(champion)} (${higher ? 'higher' : 'lower'} is better)`,
    );
  } else if (absolute === 0) {
    reasons.push(`${metric} ${fmt(challenger)} only ties ${champ} ${fmt(champion)}`);
  } else {
    if (policy.minAbsoluteImprovement > 0 && absolute < policy.minAbsoluteImprovement) {
      reasons.push(
        `${metric} improves on ${champ} by ${fmt(absolute)} < minimum absolute improvement ${fmt(policy.minAbsoluteImprovement)}`,
      );
    }
    // A relative margin over a champion that scored 0 is undefined; the absolute one still applies.
    if (policy.minRelativeImprovement > 0 && champion !== 0 && relative < policy.minRelativeImprovement) {
      reasons.push(
        `${metric} improves on ${champ} by ${pct(relative)} < minimum relative improvement ${pct(policy.minRelativeImprovement)}`,
      );
    }
  }
  if (reasons.length > 0)
    return { promote: false, reasons, higherIsBetter: higher, absoluteImprovement: absolute, relativeImprovement: relative };

  const margins = [
    policy.minAbsoluteImprovement > 0 ? `≥ ${fmt(policy.minAbsoluteImprovement)}` : undefined,
    policy.minRelativeImprovement > 0 && champion !== 0 ? `≥ ${pct(policy.minRelativeImprovement)}` : undefined,
  ].filter((m): m is string => m !== undefined);
  reasons.push(
    `${metric} ${fmt(challenger)} beats ${champ} ${fmt(champion)} by ${fmt(absolute)} (${pct(relative)})` +
      (margins.length > 0 ? ` ${margins.join(' and ')}` : '') +
      ` on ${scores.holdoutRows} holdout rows`,
  );
  return { promote: true, reasons, higherIsBetter: higher, absoluteImprovement: absolute, relativeImprovement: relative };
}

function fmt(value: number): string {
  return Number(value.toPrecision(4)).toString();
}

function pct(value: number): string {
  return `${Number((value * 100).toPrecision(3))}%`;
}
