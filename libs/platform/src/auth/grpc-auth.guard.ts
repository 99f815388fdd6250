import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { type Metadata } from '@grpc/grpc-js';
import { currentContext } from '../logging/request-context';
import { AuthException, AuthExceptionCode } from './auth.exception';
import { MethodRoles } from './method-roles';
import { requiredRoleOf } from './required-role.check';
import { type Role } from './role';
import { grantsRole } from './role';
import { TokenStore } from './token-store';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Every gRPC call to a controller: a known token (UNAUTHENTICATED otherwise) holding the
 * method's role as its .proto declares it (PERMISSION_DENIED otherwise). Health and reflection are served beside Nest
 * and never reach this guard.
 */
@Injectable()
export class GrpcAuthGuard implements CanActivate {
  /** Looked up once per handler: the call path stays a map read. */
  private readonly handlerRoles = new WeakMap<object, Role | undefined>();

  constructor(
    @Inject(TokenStore) private readonly tokens: TokenStore,
    @Inject(MethodRoles) private readonly roles: MethodRoles,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'rpc') return true;
    const required = this.roleOf(context.getHandler());
    const method = `${context.getClass().name}.${context.getHandler().name}`;
    if (!required) {
      // The boot check makes this unreachable for controllers; refusing keeps it fail-closed.
      throw new AuthException(`${method} declares no required role`, AuthExceptionCode.ROLE_REQUIRED);
    }
    const metadata = context.switchToRpc().getContext<Metadata>();
    const header = metadata?.get?.('authorization')?.[0];
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    if (!match) {
      throw new AuthException('missing API token: send metadata "authorization: Bearer <token>"', AuthExceptionCode.MISSING_TOKEN);
    }
    const caller = this.tokens.verify(match[1]);
    if (!caller) throw new AuthException('unknown API token', AuthExceptionCode.UNKNOWN_TOKEN);
    if (!grantsRole(caller.roles, required)) {
      throw new AuthException(`team "${caller.team}" lacks role "${required}" for this method`, AuthExceptionCode.ROLE_REQUIRED, {
        tokenId: caller.tokenId,
        method,
      });
    }
    const request = currentContext();
    if (request) request.caller = caller;
    return true;
  }

  private roleOf(handler: object): Role | undefined {
    if (!this.handlerRoles.has(handler)) this.handlerRoles.set(handler, requiredRoleOf(this.roles, handler));
    return this.handlerRoles.get(handler);
  }
}
