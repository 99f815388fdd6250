import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type GrpcServiceContract, GrpcServices, protoRoot } from '@flywheel/contracts';
import { MethodRoles } from './method-roles';

const BEGIN = '<!-- roles: generated from the role options in the .proto by `npm run docs:roles` -->';
const END = '<!-- /roles -->';

/** The services' folders under services/ and the contracts they serve. */
export const SERVICE_CONTRACTS: Readonly<Record<string, GrpcServiceContract>> = {
  ingestion: GrpcServices.ingestion,
  'feature-store': GrpcServices.featureStore,
  trainer: GrpcServices.trainer,
  registry: GrpcServices.registry,
  deployer: GrpcServices.deployer,
  monitor: GrpcServices.monitor,
};

export function rolesOfContract(contract: GrpcServiceContract): MethodRoles {
  return MethodRoles.fromProtos(join(protoRoot(), contract.protoPath), [contract.packageName], { includeDirs: [protoRoot()] });
}

/** The README's "Roles" table for a service: one row per RPC, in the order of the .proto. */
export function rolesSection(contract: GrpcServiceContract): string {
  const rows = rolesOfContract(contract)
    .rolesOf(contract.serviceName)
    .map(({ method, role }) => `| \`${method}\` | ${role} |`);
  return [BEGIN, '', '| RPC | role |', '|---|---|', ...rows, '', END].join('\n');
}

/** The README with its roles section replaced by the one generated from the .proto. */
export function withRolesSection(readme: string, contract: GrpcServiceContract): string {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`no roles section (${BEGIN} … ${END}) in the README`);
  return readme.slice(0, begin) + rolesSection(contract) + readme.slice(end + END.length);
}

export function readmePath(repoRoot: string, service: string): string {
  return join(repoRoot, 'services', service, 'README.md');
}

export function readReadme(repoRoot: string, service: string): string {
  return readFileSync(readmePath(repoRoot, service), 'utf8');
}
