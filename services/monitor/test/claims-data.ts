import { type commonV1 } from '@flywheel/contracts';
import { Rng, type Table, categoricalColumn, makeTable, numericColumn } from '@flywheel/ml';

/** Feature names of the generated claims: three numeric, two categorical. */
export const FEATURES = ['amount', 'age', 'tenure', 'channel', 'region'] as const;
export const CHANNELS = ['web', 'phone', 'agent', 'partner'];
export const REGIONS = ['north', 'south', 'east', 'west', 'centre'];

export interface Claim {
  amount: number;
  age: number;
  tenure: number;
  channel: string;
  region: string;
  fraud: number;
}

/**
 * Seeded insurance claims. `shifted` moves `amount` (×1.8 and +600) and `channel` (mostly
 * partner) — two of the five features — and flips the label's relation to amount, so a model
 * trained before the shift loses accuracy after it.
 */
export function generateClaims(rows: number, seed: number, shifted = false): Claim[] {
  const rng = new Rng(seed);
  const pick = <T>(items: readonly T[], weights: readonly number[]): T => {
    let u = rng.next() * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < items.length; i++) {
      u -= weights[i];
      if (u <= 0) return items[i];
    }
    return items[items.length - 1];
  };
  const claims: Claim[] = [];
  for (let i = 0; i < rows; i++) {
    const base = 1000 + 300 * rng.normal();
    const amount = shifted ? base * 1.8 + 600 : base;
    const age = 45 + 12 * rng.normal();
    const tenure = Math.abs(6 + 3 * rng.normal());
    const channel = pick(CHANNELS, shifted ? [0.1, 0.1, 0.1, 0.7] : [0.4, 0.3, 0.2, 0.1]);
    const region = pick(REGIONS, [0.2, 0.2, 0.2, 0.2, 0.2]);
    const score = shifted ? -(base - 1000) / 150 : (base - 1000) / 150 - (tenure - 6) / 3;
    const fraud = score + 0.3 * rng.normal() > 0.5 ? 1 : 0;
    claims.push({ amount, age, tenure, channel, region, fraud });
  }
  return claims;
}

export function claimsTable(claims: readonly Claim[]): Table {
  return makeTable([
    numericColumn(
      'amount',
      claims.map((c) => c.amount),
    ),
    numericColumn(
      'age',
      claims.map((c) => c.age),
    ),
    numericColumn(
      'tenure',
      claims.map((c) => c.tenure),
    ),
    categoricalColumn(
      'channel',
      claims.map((c) => c.channel),
    ),
    categoricalColumn(
      'region',
      claims.map((c) => c.region),
    ),
    numericColumn(
      'fraud',
      claims.map((c) => c.fraud),
    ),
  ]);
}

export function claimRow(claim: Claim): commonV1.Row {
  return {
    values: {
      amount: { numberValue: claim.amount },
      age: { numberValue: claim.age },
      tenure: { numberValue: claim.tenure },
      channel: { stringValue: claim.channel },
      region: { stringValue: claim.region },
    },
  };
}
