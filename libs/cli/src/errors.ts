/** A problem with what the user asked for — arguments, files, data — reported in one line with exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The call was sound but what it asked for did not happen — a run that failed while the command
 * waited for it, an ingest whose rows were quarantined — reported in one line, after the
 * command's usual output, with exit code 3: a script can tell it from success and from a bad call.
 */
export class NotDoneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotDoneError';
  }
}

/**
 * Runs library code on user input and turns its validation errors into usage errors prefixed
 * with `context` (a file name, say). The libraries report bad input with `Error`, `RangeError`
 * or their own `Error` subclasses; JavaScript's own failures (`TypeError`, `ReferenceError`, …)
 * are defects and pass through as unexpected.
 */
export function userInput<T>(context: string | null, work: () => T): T {
  try {
    return work();
  } catch (e) {
    throw asUsageError(e, context);
  }
}

export function asUsageError(e: unknown, context: string | null): unknown {
  if (!(e instanceof Error) || e instanceof UsageError || isDefect(e)) return e;
  return new UsageError(context ? `${context}: ${e.message}` : e.message);
}

function isDefect(e: Error): boolean {
  return (
    e instanceof TypeError || e instanceof ReferenceError || e instanceof SyntaxError || e instanceof EvalError || e instanceof URIError
  );
}
