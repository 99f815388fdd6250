/** The `default:` of an exhaustive switch: a new enum member without a case fails to compile. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unhandled ${what}: ${String(value)}`);
}
