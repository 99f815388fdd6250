import { type CommandGroup } from '../../command';
import { onlineCommand, showCommand, viewsCommand } from './features.commands';

export const featuresGroup: CommandGroup = {
  kind: 'group',
  name: 'features',
  summary: 'The feature store: feature views and online feature values.',
  children: [viewsCommand, showCommand, onlineCommand],
};
