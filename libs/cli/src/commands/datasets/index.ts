import { type CommandGroup } from '../../command';
import { ingestCommand, listCommand, quarantineCommand, showCommand, versionsCommand } from './datasets.commands';

export const datasetsGroup: CommandGroup = {
  kind: 'group',
  name: 'datasets',
  summary: 'Datasets: list and inspect them, their versions and quarantine; ingest a CSV file.',
  children: [listCommand, showCommand, versionsCommand, quarantineCommand, ingestCommand],
};
