export { predictCommand } from './predict.command';
