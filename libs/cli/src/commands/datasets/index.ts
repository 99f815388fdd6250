import { type CommandGroup } from '../../command';
import { ingestCommand, listCommand, quarantineCommand, replayCommand, showCommand, versionsCommand } from './datasets.commands';

export const datasetsGroup: CommandGroup = {
  kind: 'group',
  name: 'datasets',
  summary: 'Datasets: list and inspect them, their versions and quarantine; ingest a CSV file; replay quarantined records.',
  children: [listCommand, showCommand, versionsCommand, quarantineCommand, replayCommand, ingestCommand],
};
