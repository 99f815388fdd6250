import { type CommandGroup } from '../../command';
import { historicalCommand, onlineCommand, showCommand, viewsCommand } from './features.commands';

export const featuresGroup: CommandGroup = {
  kind: 'group',
  name: 'features',
  summary: 'The feature store: feature views, online feature values, point-in-time training sets.',
  children: [viewsCommand, showCommand, onlineCommand, historicalCommand],
};
