import { type CommandGroup } from '../../command';
import { cancelCommand, compareCommand, listCommand, showCommand, trainCommand } from './runs.commands';

export const runsGroup: CommandGroup = {
  kind: 'group',
  name: 'runs',
  summary: 'Training runs: list, show, compare and cancel them.',
  children: [listCommand, showCommand, compareCommand, cancelCommand],
};

export { trainCommand };
