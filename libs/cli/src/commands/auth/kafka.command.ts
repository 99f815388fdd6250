import { type Command } from '../../command';
import { userInput, UsageError } from '../../errors';
import { table, toJson } from '../../output';

// Loaded on use, as in auth.commands.ts: the platform library brings NestJS with it.
const platform = () => import('@flywheel/platform');

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** `--bootstrap a:9092,b:9092`, checked as KAFKA_BROKERS is. */
export function parseBootstrap(raw: string): string[] {
  const entries = raw.split(',').map((entry) => entry.trim());
  const bad = entries.find((entry) => !HOST_PORT.test(entry) || Number(entry.split(':').pop()) > 65535);
  if (bad !== undefined) throw new UsageError(`--bootstrap: ${JSON.stringify(bad)} is not host:port`);
  return entries;
}

/**
 * A librdkafka configuration file (`kcat -F`, confluent-kafka, the Java clients' `--command-config`
 * read it as it is): one `key=value` a line, SCRAM-SHA-512 over SASL_PLAINTEXT.
 */
export function clientProperties(team: string, brokers: readonly string[], user: string, password: string): string {
  return [
    `# Kafka producer credentials of team ${team}, from flywheel auth kafka. Keep this file private.`,
    `bootstrap.servers=${brokers.join(',')}`,
    'security.protocol=SASL_PLAINTEXT',
    'sasl.mechanisms=SCRAM-SHA-512',
    `sasl.username=${user}`,
    `sasl.password=${password}`,
    '',
  ].join('\n');
}

/** The same settings for kafkajs, the password shown or only pointed at. */
function kafkajsSnippet(brokers: readonly string[], user: string, password: string | null, out: string): string {
  const secret = password === null ? `/* sasl.password in ${out} */` : `'${password}'`;
  return [
    'new Kafka({',
    `  brokers: [${brokers.map((b) => `'${b}'`).join(', ')}],`,
    `  sasl: { mechanism: 'scram-sha-512', username: '${user}', password: ${secret} },`,
    '})',
  ].join('\n');
}

export const kafkaCommand: Command = {
  kind: 'command',
  name: 'kafka',
  summary: "Give a team's data producer a Kafka user and the ACLs of its ingest topics (and flywheel.feedback).",
  usage:
    '--tokens-file <file> --team <team> --produce <topic>[,<topic>…] [--consume <topic>[,…]] [--group <group>] ' +
    '--out <client.properties> [--bootstrap <host:port>[,…]] [--json]',
  options: {
    'tokens-file': {
      type: 'string',
      required: true,
      value: 'file',
      description: 'the tokens file (FLYWHEEL_TOKENS_FILE); the Kafka-access file the broker reads sits beside it',
    },
    team: { type: 'string', required: true, value: 'team', description: 'the team; its Kafka user is <team>-producer' },
    produce: {
      type: 'string',
      required: true,
      value: 'topics',
      description: 'flywheel.ingest.<dataset> topics it writes, and flywheel.feedback for ground truth',
    },
    consume: {
      type: 'string',
      value: 'topics',
      description: 'topics it reads: its ingest topics, their .dlq, the flywheel.<area>.events topics',
    },
    group: { type: 'string', value: 'group', description: 'its consumer group: <team> or <team>.<name>' },
    out: { type: 'string', required: true, value: 'file', description: 'the librdkafka properties file to write (mode 0600)' },
    bootstrap: { type: 'string', value: 'host:port', description: 'the brokers clients reach (default 127.0.0.1:9092)' },
    json: { type: 'boolean', description: 'print one JSON document, password included' },
  },
  details:
    'Running it again for a team replaces its password and ACLs. The embedded broker reads the Kafka-access ' +
    'file when `npm start` starts it; for Apache Kafka it prints the kafka-configs and kafka-acls commands its admin runs. ' +
    'The password is written to --out and printed only to a terminal or with --json.',
  async run(options, io) {
    const { apacheKafkaCommands, grantTeamProducer, kafkaAccessFileBeside, writePrivateFile } = await platform();
    const brokers = parseBootstrap(options.string('bootstrap') ?? '127.0.0.1:9092');
    const accessFile = kafkaAccessFileBeside(options.required('tokens-file'));
    const { grant, replaced } = userInput(null, () =>
      grantTeamProducer(accessFile, {
        team: options.required('team'),
        produce: options.list('produce') ?? [],
        consume: options.list('consume') ?? [],
        group: options.string('group'),
      }),
    );
    const out = options.required('out');
    writePrivateFile(out, clientProperties(grant.team, brokers, grant.user, grant.password));

    if (options.flag('json')) {
      return io.stdout(
        toJson({ team: grant.team, user: grant.user, password: grant.password, acls: grant.acls, accessFile, properties: out, replaced }),
      );
    }
    const acls = table(
      ['resource', 'pattern', 'name', 'operation'],
      grant.acls.map((acl) => [acl.resource, acl.pattern, acl.name, acl.operation]),
    );
    io.stdout(
      `${replaced ? 'Replaced' : 'Created'} Kafka user ${grant.user} (principal User:${grant.user}) in ${accessFile}:\n\n${acls}\n\n` +
        `Wrote ${out} (mode 0600), e.g. kcat -F ${out} -P -t ${grant.acls[0].name}\n\n` +
        `kafkajs:\n\n${kafkajsSnippet(brokers, grant.user, io.stdoutIsTerminal ? grant.password : null, out)}\n\n` +
        // `npm start`'s broker reads the Kafka-access file; Apache Kafka is told by its admin.
        `On Apache Kafka, as its admin (admin.properties: the admin's client settings):\n\n` +
        `${apacheKafkaCommands(grant.user, `$(sed -n 's/^sasl.password=//p' ${out})`, grant.acls, `--bootstrap-server ${brokers.join(',')} --command-config admin.properties`).join('\n')}\n`,
    );
  },
};
