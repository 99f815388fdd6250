import { monitorV1 } from '@flywheel/contracts';
import { z } from 'zod';
import { modelNameSchema } from '../policy/monitoring-policy';

/** A report id. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

/** An optional bound of a time range as the gRPC loader hands it over (a Date, or its text); unset is undefined. */
const optionalInstant = z.unknown().transform((value, ctx): Date | undefined => {
  if (value === undefined || value === null) return undefined;
  const time = new Date(value as Date | string | number);
  if (Number.isNaN(time.getTime())) {
    ctx.addIssue({ code: 'custom', message: 'must be a timestamp' });
    return z.NEVER;
  }
  return time;
});

export const reportsRequest = z.object({
  modelName: modelNameSchema,
  createTimeRange: z
    .object({ start: optionalInstant, end: optionalInstant })
    .nullish()
    .superRefine((range, ctx) => {
      if (range?.start && range.end && range.end.getTime() <= range.start.getTime())
        ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
    })
    .transform((range) => ({ start: range?.start, end: range?.end })),
});
