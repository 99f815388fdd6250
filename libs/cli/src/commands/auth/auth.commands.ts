import { type Command } from '../../command';
import { UsageError } from '../../errors';
import { table, toJson } from '../../output';

/** The platform library loads NestJS; only these commands need it, so it is loaded on use. */
const platform = () => import('@flywheel/platform');

export const initCommand: Command = {
  kind: 'command',
  name: 'init',
  summary: 'Create the tokens file with a first admin token, unless it already has one.',
  usage: '--tokens-file <file> [--json]',
  options: {
    'tokens-file': { type: 'string', required: true, value: 'file', description: 'the file every service reads (FLYWHEEL_TOKENS_FILE)' },
    json: { type: 'boolean', description: 'print one JSON document' },
  },
  details: 'The token is printed once; the file keeps only its sha256 hash.',
  async run(options, io) {
    const { ensureAdminToken } = await platform();
    const result = ensureAdminToken(options.required('tokens-file'));
    if (options.flag('json')) return io.stdout(toJson(result));
    io.stdout(
      result.created
        ? `Admin token (shown once):\n\n    ${result.token}\n`
        : 'The tokens file already has an admin token; nothing created.\n',
    );
  },
};

export const issueCommand: Command = {
  kind: 'command',
  name: 'issue',
  summary: 'Issue a token for a team (or a service) with the given roles.',
  usage: '--tokens-file <file> --team <name> --role <role>[,<role>…] [--description <text>] [--json]',
  options: {
    'tokens-file': { type: 'string', required: true, value: 'file', description: 'the file every service reads (FLYWHEEL_TOKENS_FILE)' },
    team: { type: 'string', required: true, value: 'name', description: 'the team the token acts for; audit rows name it' },
    role: { type: 'string', required: true, value: 'roles', description: 'comma-separated: read, write, promote, admin' },
    description: { type: 'string', value: 'text', description: 'what the token is for' },
    json: { type: 'boolean', description: 'print one JSON document' },
  },
  async run(options, io) {
    const { ALL_ROLES, isRole, issueToken } = await platform();
    const roles = options.list('role') ?? [];
    const unknown = roles.filter((r) => !isRole(r));
    if (unknown.length > 0) throw new UsageError(`--role: unknown role ${unknown.join(', ')} (use ${ALL_ROLES.join(', ')})`);
    const issued = issueToken(options.required('tokens-file'), {
      team: options.required('team'),
      roles: roles.filter(isRole),
      description: options.string('description') ?? '',
    });
    if (options.flag('json'))
      return io.stdout(toJson({ id: issued.id, team: issued.record.team, roles: issued.record.roles, token: issued.token }));
    io.stdout(
      `${table(['id', 'team', 'roles'], [[issued.id, issued.record.team, issued.record.roles.join(',')]])}\n\nToken (shown once):\n\n    ${issued.token}\n`,
    );
  },
};
