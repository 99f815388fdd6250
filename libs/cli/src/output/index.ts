export { formatSeconds, formatValue } from './format';
export { toJson } from './json';
export { type Cell, table } from '@flywheel/text-table';
