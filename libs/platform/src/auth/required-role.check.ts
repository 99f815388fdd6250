import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { PATTERN_METADATA, TRANSPORT_METADATA } from '@nestjs/microservices/constants';
import { getRequiredRole } from './required-role.decorator';
import { isRole } from './role';

export class MissingRequiredRoleError extends Error {
  constructor(readonly methods: readonly string[]) {
    super(
      `every gRPC method must declare @RequiredRole(...); missing or invalid on: ${methods.join(', ')}`,
    );
    this.name = 'MissingRequiredRoleError';
  }
}

/** Refuses to boot a service with a gRPC method that forgot to say who may call it. */
@Injectable()
export class RequiredRoleCheck implements OnModuleInit {
  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
  ) {}

  onModuleInit(): void {
    const offenders = findMethodsWithoutRole(this.discovery, this.scanner);
    if (offenders.length > 0) throw new MissingRequiredRoleError(offenders);
  }
}

export function findMethodsWithoutRole(discovery: DiscoveryService, scanner: MetadataScanner): string[] {
  const offenders: string[] = [];
  for (const wrapper of discovery.getControllers()) {
    const instance = wrapper.instance as Record<string, unknown> | undefined;
    if (!instance) continue;
    const prototype = Object.getPrototypeOf(instance) as object;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = (prototype as Record<string, unknown>)[name];
      if (typeof handler !== 'function') continue;
      const isGrpc =
        Reflect.getMetadata(PATTERN_METADATA, handler) !== undefined &&
        Reflect.getMetadata(TRANSPORT_METADATA, handler) === Transport.GRPC;
      if (isGrpc && !isRole(getRequiredRole(handler))) offenders.push(`${wrapper.metatype?.name ?? 'controller'}.${name}`);
    }
  }
  return offenders;
}
