export interface ConfigIssue {
  /** The environment variable at fault. */
  readonly variable: string;
  readonly reason: string;
  /** What the process was given, already masked when the variable holds a secret. */
  readonly value: string;
}

/** Boot stops on the first config error, so it lists every bad variable at once. */
export class ConfigError extends Error {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      `invalid configuration (${issues.length} variable${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((issue) => `  ${issue.variable}: ${issue.reason} (got ${issue.value})`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}
