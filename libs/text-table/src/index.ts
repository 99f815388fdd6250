export { type Cell, table } from './table';
