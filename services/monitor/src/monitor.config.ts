import { envInt, serviceConfigSchema } from '@flywheel/platform';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** What the monitor reads at boot: the platform's variables, its default ports and its own. */
export const monitorConfigSchema = serviceConfigSchema(
  { grpcPort: 50056, httpPort: 8086 },
  {
    // How often committed predictions and labels are folded into the window summaries (and the
    // summaries saved); a handler also schedules a fold right after it runs.
    MONITOR_FOLD_INTERVAL_MS: envInt({ min: 10, max: 60_000, default: 1_000 }),
    // After a DriftDetected / PerformanceDegraded for a model version, further drifted windows
    // of that version are only recorded, not published again, until this much time has passed.
    MONITOR_ALERT_COOLDOWN_MS: envInt({ min: 0, default: 60 * MINUTE_MS }),
    // The request id → prediction index used to join late labels keeps this long...
    MONITOR_JOIN_RETENTION_MS: envInt({ min: MINUTE_MS, default: 7 * DAY_MS }),
    // ...and at most this many rows (oldest dropped first).
    MONITOR_JOIN_MAX_ROWS: envInt({ min: 1_000, default: 1_000_000 }),
  },
);

export type MonitorConfig = Readonly<ReturnType<typeof monitorConfigSchema.parse>>;
