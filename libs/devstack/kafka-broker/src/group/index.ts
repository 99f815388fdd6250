export {
  GroupCoordinator,
  type GroupCoordinatorOptions,
  MAX_OFFSET_METADATA_LENGTH,
  MAX_SESSION_TIMEOUT_MS,
  MIN_SESSION_TIMEOUT_MS,
} from './group-coordinator';
export * from './group-types';
