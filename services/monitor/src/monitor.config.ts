import { envInt, serviceConfigSchema } from '@flywheel/platform';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** What the monitor reads at boot: the platform's variables, its default ports and its own. */
export const monitorConfigSchema = serviceConfigSchema(
  { grpcPort: 8056, httpPort: 8086 },
  {
    // The longest the window folder sleeps. It folds when there is work: right after a handler
    // journals an event, when another process commits entries, a policy or a reference (NOTIFY),
    // and when the earliest open window is due to close by time; this only covers a lost notification.
    MONITOR_FOLD_INTERVAL_MS: envInt({ min: 10, max: 60_000, default: 30_000 }),
    // After a DriftDetected / PerformanceDegraded for a model version, further drifted windows
    // of that version are only recorded, not published again, until this much time has passed.
    MONITOR_ALERT_COOLDOWN_MS: envInt({ min: 0, default: 60 * MINUTE_MS }),
    // The request id → prediction index used to join late labels keeps this long...
    MONITOR_JOIN_RETENTION_MS: envInt({ min: MINUTE_MS, default: 7 * DAY_MS }),
    // ...and at most this many rows (oldest dropped first).
    MONITOR_JOIN_MAX_ROWS: envInt({ min: 1_000, default: 1_000_000 }),
    // A label whose prediction has not arrived waits this long (its prediction may still be on
    // its way through the prediction log), then is dropped and counted as unmatched...
    MONITOR_LABEL_WAIT_MS: envInt({ min: 1_000, default: 60 * MINUTE_MS }),
    // ...and at most this many labels wait at once (oldest dropped first), so labels for request
    // ids nobody served cannot crowd the predictions out of the index.
    MONITOR_LABEL_WAIT_MAX_ROWS: envInt({ min: 100, default: 100_000 }),
  },
);

export type MonitorConfig = Readonly<ReturnType<typeof monitorConfigSchema.parse>>;
