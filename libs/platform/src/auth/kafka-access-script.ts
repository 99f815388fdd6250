import {
  allServiceAcls,
  deadLetterTopicsOf,
  KAFKA_ADMIN_USER,
  type KafkaAcl,
  type KafkaAclOperation,
  SERVICE_KAFKA_ACCESS,
  type ServiceKafkaAccess,
} from '@flywheel/contracts';

/**
 * deploy/kafka/kafka-access.sh: the `kafka-configs` and `kafka-acls` commands that give Apache
 * Kafka the same users and ACLs as the embedded broker, generated from the table in
 * @flywheel/contracts (`npm run deploy:kafka-access`); kafka-access-script.spec.ts fails when
 * the committed script and the table disagree.
 */
export const KAFKA_ACCESS_SCRIPT = 'deploy/kafka/kafka-access.sh';

/** The variable a user's password comes from: KAFKA_ADMIN_PASSWORD, FEATURE_STORE_KAFKA_PASSWORD, … */
export function kafkaPasswordVariable(user: string): string {
  return user === KAFKA_ADMIN_USER ? 'KAFKA_ADMIN_PASSWORD' : `${user.toUpperCase().replace(/-/g, '_')}_KAFKA_PASSWORD`;
}

/** The SCRAM users the script creates: the admin and the six services. */
export function scriptUsers(): string[] {
  return [KAFKA_ADMIN_USER, ...Object.values(SERVICE_KAFKA_ACCESS).map((access) => access.user)];
}

const OPERATION_NAMES: Record<KafkaAclOperation, string> = {
  read: 'Read',
  write: 'Write',
  create: 'Create',
  delete: 'Delete',
  alter: 'Alter',
  describe: 'Describe',
  'describe-configs': 'DescribeConfigs',
  'alter-configs': 'AlterConfigs',
  'idempotent-write': 'IdempotentWrite',
  all: 'All',
};

function resourceArgs(acl: KafkaAcl): string {
  switch (acl.resource) {
    case 'topic':
      return `--topic ${acl.name}`;
    case 'group':
      return `--group ${acl.name}`;
    case 'transactional-id':
      return `--transactional-id ${acl.name}`;
    case 'cluster':
      return '--cluster';
  }
}

/** One `kafka-acls --add` a principal and resource, with all its operations (as `--producer` would). */
export function aclCommands(acls: readonly KafkaAcl[]): string[] {
  const byResource = new Map<string, { acl: KafkaAcl; operations: string[] }>();
  for (const acl of acls) {
    const key = [acl.principal, acl.resource, acl.pattern, acl.name].join(' ');
    const entry = byResource.get(key) ?? { acl, operations: [] };
    entry.operations.push(`--operation ${OPERATION_NAMES[acl.operation]}`);
    byResource.set(key, entry);
  }
  return [...byResource.values()].map(
    ({ acl, operations }) => `allow ${acl.principal} ${resourceArgs(acl)} --resource-pattern-type ${acl.pattern} ${operations.join(' ')}`,
  );
}

/**
 * The same grants for a person to run against Apache Kafka (`flywheel auth kafka` prints them
 * for a team's producer): the SCRAM user, its password read from `passwordExpression` by the
 * shell, so it never appears in the output, then its ACLs.
 */
export function apacheKafkaCommands(user: string, passwordExpression: string, acls: readonly KafkaAcl[], connect: string): string[] {
  return [
    `kafka-configs.sh ${connect} --alter --entity-type users --entity-name ${user} ` +
      `--add-config "SCRAM-SHA-512=[iterations=8192,password=${passwordExpression}]"`,
    ...aclCommands(acls).map((command) => command.replace(/^allow /, `kafka-acls.sh ${connect} --add --allow-principal `)),
  ];
}

const PREAMBLE = `#!/bin/sh
# GENERATED from libs/contracts/src/kafka-access.ts by \`npm run deploy:kafka-access\`: do not edit.
#
# Creates the SCRAM-SHA-512 users of the six services (and of the admin, when KAFKA_ADMIN_PASSWORD
# is given) and the services' ACLs on Apache Kafka. docker-compose.yml's kafka-access container
# runs it; for another cluster:
#   KAFKA_BOOTSTRAP=broker:9092 KAFKA_COMMAND_CONFIG=/path/admin.properties sh kafka-access.sh
# Passwords come from the environment: at least 16 characters of A-Z a-z 0-9 _ - each.
set -eu
BIN="\${KAFKA_BIN:-/opt/kafka/bin}"
CONNECT="--bootstrap-server \${KAFKA_BOOTSTRAP:-127.0.0.1:29092}"
if [ -n "\${KAFKA_COMMAND_CONFIG:-}" ]; then CONNECT="$CONNECT --command-config $KAFKA_COMMAND_CONFIG"; fi

# The value of the variable named $1, refused unless it is a plausible generated password (it
# goes inside SCRAM-SHA-512=[…], where a comma or a bracket would change the command).
password() {
  eval "value=\\\${$1:-}"
  case "$value" in
    '' | *[!A-Za-z0-9_-]*) echo "kafka-access: $1 must be set, with only A-Z a-z 0-9 _ -" >&2; exit 1 ;;
  esac
  if [ "\${#value}" -lt 16 ]; then echo "kafka-access: $1 must be at least 16 characters" >&2; exit 1; fi
  printf '%s' "$value"
}

user() {
  secret=$(password "$2")
  "$BIN/kafka-configs.sh" $CONNECT --alter --entity-type users --entity-name "$1" --add-config "SCRAM-SHA-512=[iterations=8192,password=$secret]"
}

allow() {
  principal=$1
  shift
  "$BIN/kafka-acls.sh" $CONNECT --add --allow-principal "$principal" "$@" >/dev/null
}
`;

/** The whole script, as committed at KAFKA_ACCESS_SCRIPT. */
export function kafkaAccessScript(): string {
  // The admin only where its password is given (docker-compose.yml): another cluster's admin is its operator's.
  const users = scriptUsers().map((user) =>
    user === KAFKA_ADMIN_USER
      ? `if [ -n "\${${kafkaPasswordVariable(user)}:-}" ]; then user ${user} ${kafkaPasswordVariable(user)}; fi`
      : `user ${user} ${kafkaPasswordVariable(user)}`,
  );
  return `${PREAMBLE}\n# Users\n${users.join('\n')}\n\n# ACLs (the admin is a super user)\n${aclCommands(allServiceAcls()).join('\n')}\necho "kafka-access: ${users.length} users, ${allServiceAcls().length} ACLs"\n`;
}

const names = (resources: ReadonlyArray<{ name: string; pattern: string }>) =>
  resources.map((r) => `\`${r.name}${r.pattern === 'prefixed' ? '*' : ''}\``).join(', ');

/** The access table as the README shows it (kafka-access-script.spec.ts keeps the two equal). */
export function kafkaAccessMarkdown(): string {
  const rows = Object.values(SERVICE_KAFKA_ACCESS).map((access: ServiceKafkaAccess) => {
    const consumes = access.consumes.map((c) => `${names([c.topic])} (${names(c.groups)})`).join(', ');
    return `| \`User:${access.user}\` | ${names(access.produces)}; ${names(deadLetterTopicsOf(access))} | ${consumes} |`;
  });
  return ['| principal | writes (events; dead letters) | reads (consumer groups) |', '|---|---|---|', ...rows].join('\n');
}
