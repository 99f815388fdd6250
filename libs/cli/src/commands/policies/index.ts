import { type CommandGroup } from '../../command';
import { decisionsCommand, setCommand, showCommand } from './policies.commands';

export const policiesGroup: CommandGroup = {
  kind: 'group',
  name: 'policies',
  summary: "A model's training spec and policies (set them here or with `flywheel apply`), and the retraining decisions.",
  children: [showCommand, setCommand, decisionsCommand],
};
