import { monitorV1 } from '@flywheel/contracts';
import { z } from 'zod';
import { modelNameSchema } from '../policy/monitoring-policy';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** '' and 0 are the proto's "not given" for the optional fields below. */
const unsetAsUndefined = <T>(value: T): T | undefined => (value === '' || value === 0 ? undefined : value);

// The MonitorService's requests as the domain takes them (SetMonitoringPolicy's is `parsePolicy`).
export const modelRequest = z.object({ modelName: modelNameSchema });
export const reportRequest = z.object({
  modelName: modelNameSchema,
  reportId: z
    .string()
    .refine((id) => id === '' || UUID.test(id), 'must be a report id (uuid) or empty')
    .transform(unsetAsUndefined),
});
export const alertsRequest = z.object({
  modelName: z
    .string()
    .refine((name) => name === '' || modelNameSchema.safeParse(name).success, 'must match [a-z][a-z0-9_-]{0,62} or be empty')
    .transform(unsetAsUndefined),
  kind: z
    .number()
    .refine((kind) => kind in monitorV1.AlertKind && kind >= 0, 'must be a known AlertKind')
    .transform((kind) => unsetAsUndefined(kind as monitorV1.AlertKind)),
  openOnly: z.boolean().optional(),
});
