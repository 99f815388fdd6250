import { loadSync, type Options } from '@grpc/proto-loader';
import { GRPC_LOADER_OPTIONS } from '@flywheel/contracts';
import { Role } from './role';

/** How `option (flywheel.common.v1.role) = ROLE_…;` appears in a loaded method's options. */
export const ROLE_OPTION = '(flywheel.common.v1.role)';

const ROLE_BY_OPTION: Readonly<Record<string, Role>> = {
  ROLE_READ: Role.Read,
  ROLE_WRITE: Role.Write,
  ROLE_PROMOTE: Role.Promote,
  ROLE_ADMIN: Role.Admin,
};

/** A method of a loaded service definition, as @grpc/proto-loader describes it. */
interface LoadedMethod {
  readonly path: string;
  readonly options?: Record<string, unknown>;
}

/**
 * The role each RPC requires, read from the role option in the .proto files: the one place a
 * method's role is declared. The auth guard asks it on every call, the boot check asks it for
 * every controller method, and the services' READMEs are checked against it.
 */
export class MethodRoles {
  /** Keyed by `Service/method` with the method in lowerCamelCase, as Nest's gRPC patterns name it. */
  private readonly roles = new Map<string, Role>();
  private readonly undeclared: string[] = [];

  /** Loads the .proto files a service serves and reads the roles of its packages' methods. */
  static fromProtos(protoPath: string | readonly string[], packages: readonly string[], options: Options = {}): MethodRoles {
    const definition = loadSync(typeof protoPath === 'string' ? protoPath : [...protoPath], { ...GRPC_LOADER_OPTIONS, ...options });
    return MethodRoles.fromDefinition(definition, packages);
  }

  static fromDefinition(definition: Record<string, unknown>, packages: readonly string[]): MethodRoles {
    const roles = new MethodRoles();
    for (const [fullName, entry] of Object.entries(definition)) {
      const packageName = fullName.slice(0, fullName.lastIndexOf('.'));
      if (!packages.includes(packageName) || !isServiceDefinition(entry)) continue;
      const service = fullName.slice(packageName.length + 1);
      for (const [name, method] of Object.entries(entry)) {
        const role = ROLE_BY_OPTION[String(method.options?.[ROLE_OPTION] ?? '')];
        if (role) roles.roles.set(key(service, name), role);
        else roles.undeclared.push(method.path);
      }
    }
    return roles;
  }

  /**
   * Gives roles to the methods of a service whose .proto is not ours to annotate (the Open
   * Inference Protocol's): `{ 'inference.GRPCInferenceService': { ModelInfer: 'read' } }`.
   * Every method of a loaded service must be given one here or in its .proto.
   */
  declare(table: Readonly<Record<string, Readonly<Record<string, Role>>>>): this {
    for (const [fullName, methods] of Object.entries(table)) {
      const service = fullName.slice(fullName.lastIndexOf('.') + 1);
      for (const [method, role] of Object.entries(methods)) {
        this.roles.set(key(service, method), role);
        const path = `/${fullName}/${method}`;
        const at = this.undeclared.indexOf(path);
        if (at >= 0) this.undeclared.splice(at, 1);
      }
    }
    return this;
  }

  /** The role of `Service/Method` (either case of the method's first letter), if declared. */
  roleOf(service: string, method: string): Role | undefined {
    return this.roles.get(key(service, method));
  }

  /** The role of a call by its path, `/package.Service/Method`, if declared. */
  roleOfPath(path: string): Role | undefined {
    const match = /^\/(?:[\w.]+\.)?(\w+)\/(\w+)$/.exec(path);
    return match ? this.roleOf(match[1], match[2]) : undefined;
  }

  /** Full paths (`/package.Service/Method`) of the loaded methods that declare no role. */
  methodsWithoutRole(): readonly string[] {
    return this.undeclared;
  }

  /** Every declared role, as `Method → role` of one service, in the order of the .proto. */
  rolesOf(service: string): Array<{ method: string; role: Role }> {
    const prefix = `${service}/`;
    return [...this.roles.entries()]
      .filter(([name]) => name.startsWith(prefix))
      .map(([name, role]) => ({ method: upperFirst(name.slice(prefix.length)), role }));
  }
}

function key(service: string, method: string): string {
  return `${service}/${method.charAt(0).toLowerCase()}${method.slice(1)}`;
}

function upperFirst(name: string): string {
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

function isServiceDefinition(entry: unknown): entry is Record<string, LoadedMethod> {
  if (typeof entry !== 'object' || entry === null || 'format' in entry || 'type' in entry) return false;
  const methods = Object.values(entry);
  return methods.length > 0 && methods.every((method) => typeof (method as Partial<LoadedMethod>).path === 'string');
}
