import { ALL_ROLES, effectiveRoles, grantsRole, isRole, Role } from './role';

describe('roles', () => {
  it('admin implies every role', () => {
    for (const role of ALL_ROLES) expect(grantsRole([Role.Admin], role)).toBe(true);
    expect(effectiveRoles([Role.Admin])).toEqual(ALL_ROLES);
  });

  it('every role implies read', () => {
    for (const role of ALL_ROLES) expect(grantsRole([role], Role.Read)).toBe(true);
  });

  it('write and promote are independent of each other', () => {
    expect(grantsRole([Role.Write], Role.Promote)).toBe(false);
    expect(grantsRole([Role.Promote], Role.Write)).toBe(false);
    expect(grantsRole([Role.Read], Role.Write)).toBe(false);
    expect(grantsRole([Role.Write, Role.Promote], Role.Promote)).toBe(true);
    expect(effectiveRoles([Role.Write])).toEqual([Role.Read, Role.Write]);
  });

  it('grants nothing to nobody', () => {
    expect(grantsRole([], Role.Read)).toBe(false);
  });

  it('recognises role names', () => {
    expect(ALL_ROLES.every(isRole)).toBe(true);
    expect(isRole('root')).toBe(false);
    expect(isRole(undefined)).toBe(false);
  });
});
