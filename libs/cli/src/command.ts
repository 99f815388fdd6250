import { type OptionSpecs, type ParsedOptions, type PositionalSpecs } from './args';

/** Where a command writes: stdout carries results (tables or JSON), stderr progress and errors. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** stdout is a terminal (a person reads it), not a pipe or a file: where a secret may be shown. */
  readonly stdoutIsTerminal?: boolean;
}

/** A runnable leaf, `flywheel ml fit`. `--help` is handled for every command by the router. */
export interface Command {
  readonly kind: 'command';
  readonly name: string;
  /** One line for the parent's command list. */
  readonly summary: string;
  /** The options part of the usage line, after the command path and the positionals. */
  readonly usage: string;
  /** Values given by position, in order: what the command acts on (`flywheel models show <model>`). */
  readonly positionals?: PositionalSpecs;
  readonly options: OptionSpecs;
  /** Paragraphs printed after the options in `--help`. */
  readonly details?: string;
  run(options: ParsedOptions, io: Io): void | Promise<void>;
}

/** A level of subcommands, `flywheel` or `flywheel ml`. */
export interface CommandGroup {
  readonly kind: 'group';
  readonly name: string;
  readonly summary: string;
  readonly children: readonly (Command | CommandGroup)[];
}
