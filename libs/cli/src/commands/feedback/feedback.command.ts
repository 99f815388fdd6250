import { readFileSync } from 'node:fs';
import { type deployerV1 } from '@flywheel/contracts';
import { type Command } from '../../command';
import { splitCsv } from '../../csv-text';
import { NotDoneError, UsageError, userInput } from '../../errors';
import { table, toJson } from '../../output';
import { valueOfText } from '../../values';
import {
  DEPLOYER_CONNECTION_DETAILS,
  deployerConnectionOptions,
  deploymentPositional,
  withDeployer,
} from '../deployments/deployer-connection';

/** Labels per SubmitFeedback call: one outbox transaction each, well inside the call's 10 000. */
export const LABELS_PER_CALL = 1000;
const SHOWN_REJECTIONS = 20;

function instant(text: string, where: string): Date {
  const at = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(at.getTime()))
    throw new UsageError(`${where}: expected an RFC 3339 instant such as 2026-11-01T12:00:00Z, got ${JSON.stringify(text)}`);
  return at;
}

/** Labels of a CSV file with the columns request_id and label, and optionally label_time. */
export function feedbackCsv(text: string, file: string): deployerV1.FeedbackLabel[] {
  const [header, ...body] = splitCsv(text);
  if (!header) throw new UsageError(`${file}: the file is empty`);
  const column = (name: string) => header.indexOf(name);
  const [id, label, time] = [column('request_id'), column('label'), column('label_time')];
  if (id < 0 || label < 0)
    throw new UsageError(`${file}: the header must name request_id and label (and may name label_time), got ${header.join(',')}`);
  return body.map((cells, i) => {
    if (cells.length !== header.length) throw new UsageError(`${file}:${i + 2}: ${cells.length} fields, the header has ${header.length}`);
    const when = time >= 0 && cells[time] !== '' ? instant(cells[time]!, `${file}:${i + 2}: label_time`) : undefined;
    return { requestId: cells[id]!, label: cells[label] === '' ? undefined : valueOfText(cells[label]!), labelTime: when };
  });
}

export const feedbackCommand: Command = {
  kind: 'command',
  name: 'feedback',
  summary: "Send the true outcomes of a deployment's predictions (ground truth), one or a CSV file of them.",
  usage: '(--request-id <id> --label <value> [--label-time <t>] | --file <labels.csv>) [--address <host:port>] [--json]',
  positionals: [deploymentPositional],
  options: {
    'request-id': { type: 'string', value: 'id', description: 'the request id a prediction answered with' },
    label: { type: 'string', value: 'value', description: 'its true label: true/false, a number or a text' },
    'label-time': { type: 'string', value: 't', description: 'when the outcome became known (default: now)' },
    file: { type: 'string', value: 'labels.csv', description: 'a CSV with request_id,label[,label_time] columns' },
    ...deployerConnectionOptions,
  },
  details: [
    'The monitor joins each label to its prediction for live accuracy, and the deployer to its canary figures.',
    'Labels are checked one by one: the command exits 3 when any was refused, after listing why (the others are',
    `recorded). Needs the write role. ${DEPLOYER_CONNECTION_DETAILS}`,
  ].join('\n'),
  async run(options, io) {
    const deployment = options.positional('deployment');
    const file = options.string('file');
    const single = options.string('request-id');
    if ((file === undefined) === (single === undefined)) throw new UsageError('give either --file or --request-id with --label');
    let labels: deployerV1.FeedbackLabel[];
    if (file !== undefined) {
      if (options.string('label') !== undefined || options.string('label-time') !== undefined)
        throw new UsageError('--label and --label-time go with --request-id, not --file');
      labels = feedbackCsv(
        userInput(file, () => readFileSync(file, 'utf8')),
        file,
      );
    } else {
      const time = options.string('label-time');
      labels = [
        {
          requestId: single!,
          label: valueOfText(options.required('label')),
          labelTime: time === undefined ? undefined : instant(time, '--label-time'),
        },
      ];
    }
    if (labels.length === 0) throw new UsageError(`${file}: no labels below the header`);
    let accepted = 0;
    const rejected: deployerV1.FeedbackRejection[] = [];
    await withDeployer(options, async (client) => {
      for (let start = 0; start < labels.length; start += LABELS_PER_CALL) {
        const response = await client.submitFeedback({ deployment, labels: labels.slice(start, start + LABELS_PER_CALL) });
        accepted += response.accepted;
        // Indices and field names count from the file's first label, not the call's.
        rejected.push(
          ...response.rejected.map((r) => ({
            ...r,
            index: r.index + start,
            reason: r.reason.replace(/^labels\[\d+\]/, `labels[${r.index + start}]`),
          })),
        );
        if (labels.length > LABELS_PER_CALL)
          io.stderr(`sent ${Math.min(start + LABELS_PER_CALL, labels.length)} of ${labels.length} labels\n`);
      }
    });
    if (options.flag('json')) io.stdout(toJson({ deployment, labels: labels.length, accepted, rejected }));
    else {
      io.stdout(`${table(['deployment', 'labels', 'recorded', 'refused'], [[deployment, labels.length, accepted, rejected.length]])}\n`);
      if (rejected.length > 0)
        io.stdout(
          `\n${table(
            ['label', 'request id', 'why'],
            rejected.slice(0, SHOWN_REJECTIONS).map((r) => [file ? `line ${r.index + 2}` : '-', r.requestId, r.reason]),
          )}\n${rejected.length > SHOWN_REJECTIONS ? `(and ${rejected.length - SHOWN_REJECTIONS} more; --json lists all)\n` : ''}`,
        );
    }
    if (rejected.length > 0) throw new NotDoneError(`${rejected.length} of ${labels.length} labels refused`);
  },
};
