import { type z } from 'zod';

/**
 * Parses a JSON document and checks it against `schema`, reporting the first problem as one
 * reason (`producers.0.user: …`) for the caller to wrap in its own error with the file's name.
 */
export function parseValidatedJson<S extends z.ZodType>(text: string, schema: S, fail: (reason: string) => Error): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw fail(`not JSON (${(error as Error).message})`);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw fail(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return result.data;
}
