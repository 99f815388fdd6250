// What the stand-alone development servers (the Kafka-protocol broker, the S3 store) share.
export { type LogLevel, type ServerLogger, jsonLogger } from './json-logger';
export { keepNewFilesPrivate, makeTreePrivate, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-files';
export { runServerCommand, ServerCommand } from './server-command';
