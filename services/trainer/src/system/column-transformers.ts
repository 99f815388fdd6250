import { type ValueTransformer } from 'typeorm';

/** `bigint` columns arrive from pg as strings (they may exceed 2^53); the trainer's counts and seeds never do. */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
