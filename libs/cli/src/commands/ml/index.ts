import { type CommandGroup } from '../../command';
import { driftCommand } from './drift.command';
import { evalCommand } from './eval.command';
import { fitCommand } from './fit.command';
import { predictCommand } from './predict.command';

export const mlGroup: CommandGroup = {
  kind: 'group',
  name: 'ml',
  summary: 'Offline machine learning on CSV files: fit, evaluate and apply models, and measure drift.',
  children: [fitCommand, evalCommand, predictCommand, driftCommand],
};
