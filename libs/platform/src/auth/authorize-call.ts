import { type Metadata } from '@grpc/grpc-js';
import { AuthException, AuthExceptionCode } from './auth.exception';
import { type CallerIdentity } from './caller-identity';
import { grantsRole, type Role } from './role';
import { type TokenStore } from './token-store';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Who may make a call: a known token in `authorization: Bearer <token>` (UNAUTHENTICATED
 * otherwise) holding `required`, the method's role (PERMISSION_DENIED otherwise; a method that
 * declares none is refused). `method` names the method in the error.
 */
export function authorizeCall(
  tokens: TokenStore,
  metadata: Metadata | undefined,
  required: Role | undefined,
  method: string,
): CallerIdentity {
  if (!required) {
    // The boot check makes this unreachable for controllers; refusing keeps it fail-closed.
    throw new AuthException(`${method} declares no required role`, AuthExceptionCode.ROLE_REQUIRED);
  }
  const header = metadata?.get?.('authorization')?.[0];
  const match = typeof header === 'string' ? BEARER.exec(header) : null;
  if (!match) {
    throw new AuthException('missing API token: send metadata "authorization: Bearer <token>"', AuthExceptionCode.MISSING_TOKEN);
  }
  const caller = tokens.verify(match[1]);
  if (!caller) throw new AuthException('unknown API token', AuthExceptionCode.UNKNOWN_TOKEN);
  if (!grantsRole(caller.roles, required)) {
    throw new AuthException(`team "${caller.team}" lacks role "${required}" for this method`, AuthExceptionCode.ROLE_REQUIRED, {
      tokenId: caller.tokenId,
      method,
    });
  }
  return caller;
}
