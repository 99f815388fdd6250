import { type ValueTransformer } from 'typeorm';

/**
 * For `bigint` columns holding counts, sizes and sequence numbers that stay far below 2^53: pg
 * returns int8 as text (it may not fit a double), the entities carry a number. Not for ids that
 * must stay exact — keep those as strings.
 */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
