import { type commonV1 } from '@flywheel/contracts';
import { type Command } from '../../command';
import { UsageError } from '../../errors';
import { formatValue, table, toJson } from '../../output';
import { valueOfText } from '../../values';
import {
  DEPLOYER_CONNECTION_DETAILS,
  deployerConnectionOptions,
  deploymentPositional,
  withDeployer,
} from '../deployments/deployer-connection';

/** `amount=82,region=north`: numbers become numbers, `true`/`false` booleans, `null` an explicit null, anything else text. */
export function parseFeatures(raw: string): commonV1.Row {
  const values: Record<string, commonV1.Value> = {};
  for (const pair of raw.split(',')) {
    const at = pair.indexOf('=');
    const name = at < 0 ? '' : pair.slice(0, at).trim();
    if (!name) throw new UsageError(`--features expects name=value,… got ${JSON.stringify(pair)}`);
    if (Object.hasOwn(values, name)) throw new UsageError(`--features sets ${JSON.stringify(name)} twice`);
    const text = pair.slice(at + 1).trim();
    values[name] = text === 'null' ? {} : valueOfText(text);
  }
  return { values };
}

function outputText(value: commonV1.Value | undefined): string {
  if (value?.numberValue != null) return formatValue(value.numberValue);
  if (value?.stringValue != null) return value.stringValue;
  if (value?.boolValue != null) return String(value.boolValue);
  return '-';
}

export const predictCommand: Command = {
  kind: 'command',
  name: 'predict',
  summary: 'Ask a deployment for one prediction, from features or an entity key.',
  usage: '(--features <k=v,…> | --entity <key>) [--request-id <id>] [--address <host:port>] [--json]',
  positionals: [deploymentPositional],
  options: {
    features: { type: 'string', value: 'k=v,…', description: 'every feature the model takes, e.g. amount=82,region=north' },
    entity: { type: 'string', value: 'key', description: "an entity key: features are read from the model's feature view" },
    'request-id': { type: 'string', value: 'id', description: 'your request id, the join key of feedback labels (default: assigned)' },
    ...deployerConnectionOptions,
  },
  details: `Feature values: numbers, true/false, null, or text. ${DEPLOYER_CONNECTION_DETAILS}`,
  async run(options, io) {
    const features = options.string('features');
    const entity = options.string('entity');
    if ((features === undefined) === (entity === undefined)) throw new UsageError('give either --features or --entity');
    const request = {
      deployment: options.positional('deployment'),
      requestId: options.string('request-id') ?? '',
      ...(features !== undefined ? { features: parseFeatures(features) } : { entityKey: entity }),
    };
    const response = await withDeployer(options, (client) => client.predict(request));
    if (options.flag('json')) return io.stdout(toJson(response));
    io.stdout(
      `${table(
        ['field', 'value'],
        [
          ['prediction', outputText(response.output)],
          ['probability', response.probability != null ? formatValue(response.probability) : '-'],
          ['model', `${response.modelName} v${response.modelVersion}${response.canary ? ' (canary)' : ''}`],
          ['deployment', response.deployment],
          ['request id', response.requestId],
          ['latency', `${formatValue(response.latencyMs)} ms`],
        ],
      )}\n`,
    );
  },
};
