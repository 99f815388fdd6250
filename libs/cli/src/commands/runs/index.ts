import { type CommandGroup } from '../../command';
import { cancelCommand, compareCommand, downloadCommand, listCommand, showCommand, trainCommand } from './runs.commands';

export const runsGroup: CommandGroup = {
  kind: 'group',
  name: 'runs',
  summary: 'Training runs: list, show, compare, cancel them and download what they made.',
  children: [listCommand, showCommand, compareCommand, cancelCommand, downloadCommand],
};

export { trainCommand };
