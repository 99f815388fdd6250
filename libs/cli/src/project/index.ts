export { applyCommand, planCommand, projectJsonSchema, schemaCommand } from './project.commands';
