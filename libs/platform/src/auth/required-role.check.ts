import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { PATTERN_METADATA, TRANSPORT_METADATA } from '@nestjs/microservices/constants';
import { MethodRoles } from './method-roles';
import { type Role } from './role';

export class MissingRequiredRoleError extends Error {
  constructor(readonly methods: readonly string[]) {
    super(
      `every gRPC method must declare its role in the .proto (option (flywheel.common.v1.role) = ROLE_…); missing on: ${methods.join(', ')}`,
    );
    this.name = 'MissingRequiredRoleError';
  }
}

/** The gRPC pattern a controller method handles, as Nest's `@GrpcMethod` records it. */
export interface GrpcPattern {
  readonly service: string;
  readonly rpc: string;
}

export function grpcPatternOf(handler: unknown): GrpcPattern | undefined {
  if (typeof handler !== 'function') return undefined;
  if (Reflect.getMetadata(TRANSPORT_METADATA, handler) !== Transport.GRPC) return undefined;
  const metadata = Reflect.getMetadata(PATTERN_METADATA, handler) as unknown;
  const pattern = (Array.isArray(metadata) ? metadata[0] : metadata) as Partial<GrpcPattern> | undefined;
  return typeof pattern?.service === 'string' && typeof pattern.rpc === 'string'
    ? { service: pattern.service, rpc: pattern.rpc }
    : undefined;
}

/** The role a controller method requires, from its pattern's .proto declaration. */
export function requiredRoleOf(roles: MethodRoles, handler: unknown): Role | undefined {
  const pattern = grpcPatternOf(handler);
  return pattern ? roles.roleOf(pattern.service, pattern.rpc) : undefined;
}

/** Refuses to boot a service with a gRPC method whose .proto does not say who may call it. */
@Injectable()
export class RequiredRoleCheck implements OnModuleInit {
  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(MethodRoles) private readonly roles: MethodRoles,
  ) {}

  onModuleInit(): void {
    const offenders: string[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = (prototype as Record<string, unknown>)[name];
        if (grpcPatternOf(handler) && !requiredRoleOf(this.roles, handler)) {
          offenders.push(`${wrapper.metatype?.name ?? 'controller'}.${name}`);
        }
      }
    }
    if (offenders.length > 0) throw new MissingRequiredRoleError(offenders);
  }
}
