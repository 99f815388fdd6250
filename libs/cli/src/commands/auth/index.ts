import { type CommandGroup } from '../../command';
import { initCommand, issueCommand } from './auth.commands';

export const authGroup: CommandGroup = {
  kind: 'group',
  name: 'auth',
  summary: 'Team API tokens: create the first admin token, issue tokens for teams and services.',
  children: [initCommand, issueCommand],
};
