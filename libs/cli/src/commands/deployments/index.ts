import { type CommandGroup } from '../../command';
import { deployCommand, listCommand, pinCommand, rollbackCommand, statusCommand, unpinCommand } from './deployments.commands';

export const deploymentsGroup: CommandGroup = {
  kind: 'group',
  name: 'deployments',
  summary: 'Deployments: what serves each model, how its canary is doing; deploy, pin, roll back.',
  children: [listCommand, statusCommand, deployCommand, pinCommand, unpinCommand, rollbackCommand],
};
