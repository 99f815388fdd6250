import { type CommandGroup } from '../../command';
import { initCommand, issueCommand } from './auth.commands';
import { kafkaCommand } from './kafka.command';

export const authGroup: CommandGroup = {
  kind: 'group',
  name: 'auth',
  summary: 'Team API tokens and Kafka producer credentials: the first admin token, tokens for teams and services.',
  children: [initCommand, issueCommand, kafkaCommand],
};
