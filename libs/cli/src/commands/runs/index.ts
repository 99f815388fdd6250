import { type CommandGroup } from '../../command';
import { compareCommand, listCommand, showCommand, trainCommand } from './runs.commands';

export const runsGroup: CommandGroup = {
  kind: 'group',
  name: 'runs',
  summary: 'Training runs: list, show and compare them.',
  children: [listCommand, showCommand, compareCommand],
};

export { trainCommand };
