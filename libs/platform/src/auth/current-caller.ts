import { currentContext } from '../logging/request-context';
import { type CallerIdentity } from './caller-identity';

/** The authenticated caller of the current gRPC call, or undefined outside one. */
export function currentCaller(): CallerIdentity | undefined {
  return currentContext()?.caller;
}
