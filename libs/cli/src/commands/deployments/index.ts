import { type CommandGroup } from '../../command';
import { listCommand, rollbackCommand, statusCommand } from './deployments.commands';

export const deploymentsGroup: CommandGroup = {
  kind: 'group',
  name: 'deployments',
  summary: 'Deployments: what serves each model, how its canary is doing; roll back.',
  children: [listCommand, statusCommand, rollbackCommand],
};
