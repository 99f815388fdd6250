// The monitor's commands sit at the top level, `flywheel drift claims-fraud`, like `predict` and
// `train`: each is the one thing a person asks the monitor about a model.
export { alertsCommand, driftCommand, healthCommand } from './monitor.commands';
