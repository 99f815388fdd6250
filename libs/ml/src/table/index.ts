export { CsvError, type CsvOptions, parseCsv } from './csv';
export { type ExcludedColumn, defaultFeatures } from './feature-candidates';
export {
  type CategoricalColumn,
  type Column,
  type ColumnType,
  MISSING_CODE,
  type NumericColumn,
  type Schema,
  type Table,
  categoricalColumn,
  cellValue,
  dropColumns,
  getColumn,
  hasColumn,
  makeTable,
  numericColumn,
  presentValues,
  takeRows,
} from './table';
export {
  type CsvCell,
  type CsvColumn,
  type CsvColumnsOptions,
  type CsvCodes,
  type CsvInstants,
  type CsvWriteOptions,
  csvColumnLength,
  formatCsv,
  sliceCsvColumn,
  tableToCsv,
  writeCsvColumns,
} from './csv-writer';
export { CsvBytes } from './csv-bytes';
