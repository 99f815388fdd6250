/** Model names and aliases: they become object keys, Kafka keys and CLI arguments. */
export const MODEL_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
export const ALIAS_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
export const NAME_RULE = 'must match [a-z][a-z0-9_-]{0,62}';
