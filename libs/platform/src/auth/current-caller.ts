import { currentContext } from '../logging/request-context';
import { type CallerIdentity } from './caller-identity';

/** The authenticated caller of the current gRPC call, or undefined outside one. */
export function currentCaller(): CallerIdentity | undefined {
  return currentContext()?.caller;
}

/** For code that only runs behind the auth guard (audit rows): throws when there is no caller. */
export function requireCaller(): CallerIdentity {
  const caller = currentCaller();
  if (!caller) throw new Error('no authenticated caller in this context');
  return caller;
}
