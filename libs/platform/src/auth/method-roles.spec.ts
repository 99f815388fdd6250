import { join } from 'node:path';
import { protoRoot } from '@flywheel/contracts';
import { ECHO_PACKAGE, ECHO_PROTO_PATH } from '../testing/echo-app';
import { MethodRoles } from './method-roles';
import { Role } from './role';
import { readReadme, rolesOfContract, rolesSection, SERVICE_CONTRACTS, withRolesSection } from './roles-readme';

const repoRoot = join(__dirname, '..', '..', '..', '..');

describe('method roles from the .proto files', () => {
  it.each(Object.entries(SERVICE_CONTRACTS))('every RPC of %s declares its role', (_service, contract) => {
    const roles = rolesOfContract(contract);
    expect(roles.methodsWithoutRole()).toEqual([]);
    expect(roles.rolesOf(contract.serviceName).length).toBeGreaterThan(0);
  });

  it('reads the declared role of a method by either spelling of its name', () => {
    const roles = rolesOfContract(SERVICE_CONTRACTS.registry);
    expect(roles.roleOf('RegistryService', 'SetAlias')).toBe(Role.Promote);
    expect(roles.roleOf('RegistryService', 'setAlias')).toBe(Role.Promote);
    expect(roles.roleOf('RegistryService', 'createModel')).toBe(Role.Write);
    expect(roles.roleOf('RegistryService', 'getModel')).toBe(Role.Read);
    expect(roles.roleOf('RegistryService', 'noSuchMethod')).toBeUndefined();
  });

  it('lists a method that declares no role', () => {
    const roles = MethodRoles.fromProtos(ECHO_PROTO_PATH, [ECHO_PACKAGE], { includeDirs: [protoRoot()] });
    expect(roles.methodsWithoutRole()).toEqual(['/flywheel.platformtest.v1.UnguardedService/Echo']);
    expect(roles.roleOf('EchoService', 'publish')).toBe(Role.Promote);
    expect(roles.roleOf('UnguardedService', 'echo')).toBeUndefined();
  });

  it.each(Object.entries(SERVICE_CONTRACTS))("the %s README's roles table is the one the .proto declares", (service, contract) => {
    const readme = readReadme(repoRoot, service);
    expect(readme).toContain(rolesSection(contract));
    expect(withRolesSection(readme, contract)).toBe(readme);
  });
});
