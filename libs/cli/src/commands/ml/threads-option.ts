import { availableParallelism } from 'node:os';
import { type OptionSpec, type ParsedOptions } from '../../args';

/** `--threads`: the cores gradient-boosted trees fit and score on, every one by default, as scikit-learn's. */
export const threadsOption: Record<'threads', OptionSpec> = {
  threads: {
    type: 'string',
    value: 'n',
    description:
      'threads gradient-boosted trees build histograms and score rows on (default: every core); results are the same for any number',
  },
};

export function threadsOf(options: ParsedOptions): number {
  return options.number('threads', { integer: true, min: 1, max: 256 }) ?? availableParallelism();
}
