import { Rng } from '@flywheel/ml';

/** One insurance claim as producers send it to `flywheel.ingest.claims` (JSON), with its outcome. */
export interface Claim {
  claim_id: string;
  claim_time: string;
  amount: number;
  claimant_age: number;
  policy_tenure_months: number;
  prior_claims: number;
  channel: Channel;
  region: Region;
  /** The investigated outcome: 1 fraud, 0 genuine. Known only some time after the claim. */
  is_fraud: number;
}

export const CHANNELS = ['agent', 'phone', 'online'] as const;
export const REGIONS = ['north', 'south', 'east', 'west'] as const;
export type Channel = (typeof CHANNELS)[number];
export type Region = (typeof REGIONS)[number];

/**
 * The two worlds of the scenario.
 *
 * `before`: claims come mostly through agents; fraud is large claims from people who claimed
 * before (a linear rule in log(amount) and prior claims, plus a little noise).
 *
 * `after` (the shift): an online channel takes over and claim amounts double — the feature
 * distributions of `amount` and `channel` move — and fraud is now organised online by young
 * claimants, whatever the amount: the relation between features and label
 * changes, so the old model is wrong even where the inputs still look familiar. Claimant age,
 * tenure, prior claims and region keep their distributions.
 */
export type Regime = 'before' | 'after';

/** Which features the shift moves (the derived `log_amount` moves with `amount`). */
export const SHIFTED_FEATURES = ['amount', 'log_amount', 'channel'] as const;
export const UNSHIFTED_FEATURES = ['claimant_age', 'policy_tenure_months', 'prior_claims', 'region'] as const;

/** How sharp the label rule is: the larger, the less label noise (and the higher the best accuracy). */
const SHARPNESS = 25;

export class ClaimsGenerator {
  private readonly rng: Rng;
  private sequence = 0;

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  /** The next claim of a regime, stamped with `time`. */
  next(regime: Regime, time: Date): Claim {
    const rng = this.rng;
    const id = `c-${String(++this.sequence).padStart(7, '0')}`;
    const logAmountMean = regime === 'before' ? 8.0 : 8.7;
    const amount = round2(clamp(Math.exp(logAmountMean + 0.7 * rng.normal()), 50, 200_000));
    const claimantAge = Math.round(clamp(44 + 13 * rng.normal(), 18, 90));
    const tenure = Math.round(clamp(-Math.log(1 - rng.next()) * 48, 0, 480));
    const priorClaims = Math.min(poisson(rng, 0.9), 12);
    const channel = pick(rng, CHANNELS, regime === 'before' ? [0.55, 0.3, 0.15] : [0.15, 0.2, 0.65]);
    const region = pick(rng, REGIONS, [0.25, 0.25, 0.25, 0.25]);

    // Both rules are linear in the model's features (log_amount is one), with about the same
    // share of claims near the boundary, so a model retrained on the new world can do as well
    // there as the first one did in the old world.
    const score =
      regime === 'before'
        ? 0.665 * (Math.log1p(amount) - 8.6) + 0.455 * (priorClaims - 1.6)
        : 3.0 * ((channel === 'online' ? 1 : 0) - 0.5) + 0.12 * (30 - claimantAge);
    const isFraud = rng.next() < 1 / (1 + Math.exp(-SHARPNESS * score)) ? 1 : 0;
    return {
      claim_id: id,
      claim_time: time.toISOString(),
      amount,
      claimant_age: claimantAge,
      policy_tenure_months: tenure,
      prior_claims: priorClaims,
      channel,
      region,
      is_fraud: isFraud,
    };
  }

  /**
   * Records that break the data contract in each way ingestion checks, as raw Kafka values:
   * not JSON, a missing required column, a value out of range, a category not allowed, a
   * wrong type and an unknown column.
   */
  malformed(time: Date): string[] {
    const good = (): Record<string, unknown> => ({ ...this.next('before', time) });
    const withChange = (change: (record: Record<string, unknown>) => void): string => {
      const record = good();
      change(record);
      return JSON.stringify(record);
    };
    return [
      '{"claim_id": "c-broken", "amount": 12',
      withChange((r) => delete r.amount),
      withChange((r) => (r.amount = -250)),
      withChange((r) => (r.channel = 'fax')),
      withChange((r) => (r.claimant_age = 'forty')),
      withChange((r) => (r.adjuster_notes = 'suspicious')),
    ];
  }
}

/** The features the model takes, as the feature view defines them (computed here for inline predictions). */
export function claimFeatures(claim: Claim): Record<string, number | string> {
  return {
    amount: claim.amount,
    log_amount: Math.log1p(claim.amount),
    claimant_age: claim.claimant_age,
    policy_tenure_months: claim.policy_tenure_months,
    prior_claims: claim.prior_claims,
    channel: claim.channel,
    region: claim.region,
  };
}

function pick<T>(rng: Rng, values: readonly T[], weights: readonly number[]): T {
  let u = rng.next();
  for (let i = 0; i < values.length; i++) {
    u -= weights[i]!;
    if (u < 0) return values[i]!;
  }
  return values[values.length - 1]!;
}

function poisson(rng: Rng, lambda: number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const round2 = (x: number) => Math.round(x * 100) / 100;
