import { DATASET_PAGES } from './datasets/datasets.page';
import { DEPLOYMENT_ACTIONS, DEPLOYMENT_PAGES } from './deployments/deployments.page';
import { LOOP_PAGES } from './loop/loop.page';
import { MODEL_PAGES } from './models/models.page';
import { MONITORING_PAGES } from './monitoring/monitoring.page';
import { type FormAction, type PageRoute } from './page';
import { RUN_PAGES } from './runs/runs.page';

/** Every page of the console, one list per section. */
export const CONSOLE_PAGES: readonly PageRoute[] = [
  ...DATASET_PAGES,
  ...MODEL_PAGES,
  ...DEPLOYMENT_PAGES,
  ...MONITORING_PAGES,
  ...RUN_PAGES,
  ...LOOP_PAGES,
];

/** Every form of the console besides signing in and out. */
export const CONSOLE_ACTIONS: readonly FormAction[] = [...DEPLOYMENT_ACTIONS];
