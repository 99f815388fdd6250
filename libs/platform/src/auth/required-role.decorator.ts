import 'reflect-metadata';
import { type Role } from './role';

export const REQUIRED_ROLE_METADATA = 'flywheel:required-role';

/**
 * Declares the role a gRPC method needs. Every gRPC controller method must carry one: the
 * platform refuses to boot otherwise.
 */
export function RequiredRole(role: Role): MethodDecorator {
  return (_target, _key, descriptor) => {
    Reflect.defineMetadata(REQUIRED_ROLE_METADATA, role, descriptor.value as object);
    return descriptor;
  };
}

export function getRequiredRole(handler: unknown): Role | undefined {
  return typeof handler === 'function' ? Reflect.getMetadata(REQUIRED_ROLE_METADATA, handler) : undefined;
}
