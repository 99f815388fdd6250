import { type ValueTransformer } from 'typeorm';

/**
 * The counts stored as `bigint` (row and entity counts) stay far below 2^53, so they are read
 * as numbers rather than the strings pg returns for int8.
 */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
