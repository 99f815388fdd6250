export enum Role {
  Read = 'read',
  Write = 'write',
  Promote = 'promote',
  Admin = 'admin',
}

export const ALL_ROLES: readonly Role[] = [Role.Read, Role.Write, Role.Promote, Role.Admin];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ALL_ROLES as readonly string[]).includes(value);
}

/** `admin` implies every role; every role implies `read`. */
export function grantsRole(held: Iterable<Role>, required: Role): boolean {
  for (const role of held) {
    if (role === Role.Admin || role === required || required === Role.Read) return true;
  }
  return false;
}

/** Every role a holder of `held` may exercise, in a stable order. */
export function effectiveRoles(held: Iterable<Role>): Role[] {
  const roles = [...held];
  return ALL_ROLES.filter((role) => grantsRole(roles, role));
}
