import { type CommandGroup } from '../../command';
import { exportCommand } from './export.command';
import { importCommand } from './import.command';
import { auditCommand, downloadCommand, listCommand, promoteCommand, showCommand, versionsCommand } from './models.commands';

export const modelsGroup: CommandGroup = {
  kind: 'group',
  name: 'models',
  summary: 'The model registry: models, versions, aliases, promotion and the audit log.',
  children: [listCommand, showCommand, versionsCommand, promoteCommand, auditCommand, downloadCommand, exportCommand, importCommand],
};
