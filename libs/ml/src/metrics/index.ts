export { type NumericInput, type ScoreMatrix } from './inputs';
export * from './classification';
export * from './ranking';
export * from './probabilistic';
export * from './regression';
