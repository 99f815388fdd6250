import { type CommandGroup } from '../command';
import { authGroup } from './auth';
import { datasetsGroup } from './datasets';
import { deploymentsGroup } from './deployments';
import { featuresGroup } from './features';
import { feedbackCommand } from './feedback';
import { mlGroup } from './ml';
import { modelsGroup } from './models';
import { alertsCommand, driftCommand, healthCommand } from './monitor';
import { policiesGroup } from './policies';
import { predictCommand } from './predict';
import { runsGroup, trainCommand } from './runs';
import { applyCommand, planCommand, schemaCommand } from '../project';

/** Every command of the `flywheel` tool; a new area adds its group here. */
export const flywheel: CommandGroup = {
  kind: 'group',
  name: 'flywheel',
  summary: 'Flywheel, a self-hosted MLOps platform.',
  children: [
    planCommand,
    applyCommand,
    schemaCommand,
    mlGroup,
    authGroup,
    modelsGroup,
    policiesGroup,
    featuresGroup,
    datasetsGroup,
    deploymentsGroup,
    predictCommand,
    feedbackCommand,
    runsGroup,
    trainCommand,
    driftCommand,
    healthCommand,
    alertsCommand,
  ],
};
