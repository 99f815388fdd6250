import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { type Metadata } from '@grpc/grpc-js';
import { currentContext } from '../logging/request-context';
import { authorizeCall } from './authorize-call';
import { MethodRoles } from './method-roles';
import { requiredRoleOf } from './required-role.check';
import { type Role } from './role';
import { TokenStore } from './token-store';

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
    const method = `${context.getClass().name}.${context.getHandler().name}`;
    const metadata = context.switchToRpc().getContext<Metadata>();
    const caller = authorizeCall(this.tokens, metadata, this.roleOf(context.getHandler()), method);
    const request = currentContext();
    if (request) request.caller = caller;
    return true;
  }

  private roleOf(handler: object): Role | undefined {
    if (!this.handlerRoles.has(handler)) this.handlerRoles.set(handler, requiredRoleOf(this.roles, handler));
    return this.handlerRoles.get(handler);
  }
}
