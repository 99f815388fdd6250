// The `flywheel` command's building blocks, for new command groups and for tools that print tables.
export { type NumberRange, type OptionSpec, type OptionSpecs, ParsedOptions, parseNumber, parseOptions } from './args';
export { EXIT_FAILURE, EXIT_NOT_DONE, EXIT_OK, EXIT_USAGE, runCli } from './cli';
export { type Command, type CommandGroup, type Io } from './command';
export { NotDoneError, UsageError, userInput } from './errors';
export * from './output';
