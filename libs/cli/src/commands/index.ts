import { type CommandGroup } from '../command';
import { authGroup } from './auth';
import { mlGroup } from './ml';

/** Every command of the `flywheel` tool; a new area adds its group here. */
export const flywheel: CommandGroup = {
  kind: 'group',
  name: 'flywheel',
  summary: 'Flywheel, a self-hosted MLOps platform.',
  children: [mlGroup, authGroup],
};
