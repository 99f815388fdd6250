import { type ValueTransformer } from 'typeorm';

/**
 * Counters and sizes are `bigint` columns, which pg returns as text; every one of them stays far
 * below 2^53, so the entities carry them as numbers.
 */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
