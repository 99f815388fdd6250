import { trainerV1 } from '@flywheel/contracts';
import { buildTimeline, resolveSource, summariseStages } from './loop-timeline';
import * as fx from './loop-story.fixture';

describe('the loop, from the services’ records', () => {
  describe('resolveSource', () => {
    it('takes the dataset and feature view from the champion’s lineage', () => {
      expect(resolveSource(fx.modelVersions, fx.runs, { production: 1 })).toEqual({
        dataset: 'claims',
        datasetVersionFrom: 1,
        datasetVersionTo: 3,
        featureView: 'claims_features',
        featureViewRevision: 1,
        foundIn: 'the lineage of v1',
      });
      expect(resolveSource(fx.modelVersions, fx.runs).foundIn).toBe('the lineage of v2');
    });

    it('falls back on the newest run’s lineage, then on a run’s spec (feature view only)', () => {
      expect(resolveSource([], fx.runs)).toMatchObject({ dataset: 'claims', datasetVersionTo: 5, foundIn: 'run run-2222' });
      const noLineage = fx.runs.map((r) => ({ ...r, lineage: undefined }));
      expect(resolveSource([], noLineage)).toEqual({ featureView: 'claims_features', foundIn: 'the spec of run run-2222' });
      expect(resolveSource([], [])).toEqual({});
    });
  });

  describe('buildTimeline', () => {
    const rows = buildTimeline(fx.story());
    const row = (id: string) => rows.find((r) => r.id === id)!;
    const CANARY = 'deployment-fraud-api-20260301T004400.000Z';
    const INITIAL = 'deployment-fraud-api-20260301T002300.000Z';

    it('orders rows newest first, an effect above its cause at the same time, and folds consecutive commits', () => {
      expect(rows.map((r) => r.id)).toEqual([
        'report-report-calm-2',
        CANARY,
        'audit-audit-4',
        'audit-audit-3',
        'run-run-2222-second',
        'decision-dec00001-aaaa',
        'alert-alert-0001',
        'report-report-drift-1',
        'data-claims-v4-v5',
        INITIAL,
        'audit-audit-2',
        'audit-audit-1',
        'run-run-1111-first',
        'data-claims-v2-v3',
        'view-claims_features-r1',
        'data-claims-v1-v1',
        'dataset-claims',
      ]);
      const times = rows.map((r) => r.time);
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      expect(row('data-claims-v4-v5').what).toBe('claims v4–v5 committed: +200 rows (500 in total, 3 quarantined)');
      expect(row('data-claims-v1-v1').what).toBe('claims v1 committed: +100 rows (100 in total)');
      expect(row('dataset-claims').what).toBe('dataset claims registered: 4 columns, key [claim_id], topic flywheel.ingest.claims');
      expect(row('view-claims_features-r1').causedBy).toEqual([{ rowId: 'dataset-claims', text: 'dataset claims' }]);
    });

    it('links each row to the row that caused it, as the records name it', () => {
      expect(row('run-run-2222-second').causedBy).toEqual([
        { rowId: 'decision-dec00001-aaaa', text: 'decision dec00001' },
        { rowId: 'data-claims-v4-v5', text: 'claims v4–v5' },
      ]);
      // The decision names the DriftDetected event; the alert published with it names the report.
      expect(row('decision-dec00001-aaaa').causedBy).toEqual([{ rowId: 'report-report-drift-1', text: 'drift report report-drift-1' }]);
      expect(row('alert-alert-0001').causedBy).toEqual([{ rowId: 'report-report-drift-1', text: 'drift report report-drift-1' }]);
      expect(row('audit-audit-3').causedBy).toEqual([{ rowId: 'run-run-2222-second', text: 'run run-2222' }]);
      expect(row('audit-audit-4').causedBy).toEqual([{ rowId: 'audit-audit-3', text: 'v2 registered' }]);
      expect(row('audit-audit-4').what).toContain('production → v2 (was v1), promoted by registry (policy) — roc_auc 0.93 vs champion 0.9');
      expect(row(CANARY).causedBy).toEqual([{ rowId: 'audit-audit-4', text: 'production → v2' }]);
      expect(row(CANARY).what).toBe('fraud-api: canary v2 started on 10% of traffic, v1 stable');
      expect(row(CANARY).href).toBe('/deployments/fraud-api');
      expect(row(INITIAL).causedBy).toEqual([{ rowId: 'audit-audit-2', text: 'production → v1' }]);
      expect(row(INITIAL).what).toBe('fraud-api: v1 serves all traffic (initial deploy)');
      // The drift report on v1 links to the change that put v1 into service.
      expect(row('report-report-drift-1').causedBy).toEqual([{ rowId: INITIAL, text: 'fraud-api v1 deployed' }]);
      expect(row('run-run-1111-first').causedBy).toEqual([
        { text: 'API call by fraud-team' },
        { rowId: 'data-claims-v2-v3', text: 'claims v2–v3' },
      ]);
    });

    it('tells a promotion with the judge’s reason, caused by the canary’s start, and a rollback by whoever asked', () => {
      const out = buildTimeline({ ...fx.story(), deploymentChanges: [...fx.laterChanges, ...fx.deploymentChanges] });
      const ROLLED_BACK = 'deployment-fraud-api-20260301T005800.000Z';
      const PROMOTED = 'deployment-fraud-api-20260301T005200.000Z';
      const byId = (id: string) => out.find((r) => r.id === id)!;
      expect(out.slice(0, 3).map((r) => r.id)).toEqual([ROLLED_BACK, PROMOTED, 'report-report-calm-2']);
      expect(byId(PROMOTED)).toMatchObject({
        what: 'fraud-api: PROMOTED v2 — canary v2 passed every check after 150 requests',
        causedBy: [{ rowId: CANARY, text: 'fraud-api canary v2' }],
      });
      expect(byId(ROLLED_BACK)).toMatchObject({
        what: `fraud-api: ROLLED BACK to v1 — rolled back from v2 to v1 by request: support calls ${fx.HOSTILE}`,
        causedBy: [{ text: 'Rollback by fraud-team' }],
      });
      // No "current state" row once the deployment's changes are there; without them, it is back.
      expect(out.some((r) => r.id === 'deployment-fraud-api')).toBe(false);
      const unchanged = buildTimeline({ ...fx.story(), deploymentChanges: [] });
      expect(unchanged.find((r) => r.id === 'deployment-fraud-api')!.what).toBe(
        'fraud-api: canary v2 started on 10% of traffic, v1 stable (current state)',
      );
      expect(unchanged.find((r) => r.id === 'report-report-drift-1')!.causedBy).toEqual([
        { rowId: 'deployment-fraud-api', text: 'fraud-api' },
      ]);
    });

    it('says what caused a row in the records’ words when that row is not in the timeline', () => {
      const partial = buildTimeline({ ...fx.story(), alerts: [], reports: [], decisions: fx.decisions });
      expect(partial.find((r) => r.id === 'decision-dec00001-aaaa')!.causedBy).toEqual([{ text: 'DriftDetected ev-drift' }]);
      const noDecisions = buildTimeline({ ...fx.story(), decisions: [] });
      const second = noDecisions.find((r) => r.id === 'run-run-2222-second')!;
      expect(second.causedBy[0]).toEqual({ text: 'retraining policy event ev-train' });
    });

    it('tells a failed run and a declined decision', () => {
      const failed = {
        ...fx.runs[1],
        status: trainerV1.RunStatus.RUN_STATUS_FAILED,
        failureCode: trainerV1.FailureCode.FAILURE_CODE_INSUFFICIENT_DATA,
        error: 'only 3 rows',
      };
      const declined = {
        ...fx.decisions[0],
        outcome: trainerV1.DecisionOutcome.DECISION_OUTCOME_DECLINED,
        runId: '',
        reasons: ['cooldown'],
      };
      const out = buildTimeline({ ...fx.story(), runs: [failed], decisions: [declined] });
      expect(out.find((r) => r.id === 'run-run-1111-first')!.what).toContain('failed (insufficient data): only 3 rows');
      expect(out.find((r) => r.id === 'decision-dec00001-aaaa')!.what).toBe('retraining declined (200 new rows): cooldown');
    });
  });

  describe('summariseStages', () => {
    it('gives every stage its latest event, and a note where a service failed', () => {
      const records = fx.story();
      const stages = summariseStages(records, resolveSource(records.modelVersions, records.runs, records.model?.aliases), {
        deployment: ['deployer ListDeployments: unavailable: connection refused'],
      });
      expect(stages.map((s) => [s.stage, s.subject, s.line])).toEqual([
        ['data in', 'claims', 'v5 committed: 500 rows, 2 quarantined'],
        ['features', 'claims_features r1', 'applied; materialised up to v5'],
        ['training', 'run run-2222', 'retraining policy: succeeded: roc_auc 0.93'],
        ['registry', 'production → v2', 'v2 promoted to production (was v1)'],
        ['deployment', 'fraud-api', 'canary v2 (10%), stable v1'],
        ['monitor', 'drifting', 'drift report: no drift (0% of features); 1 open alert'],
      ]);
      expect(stages.map((s) => s.time)).toEqual(
        ['00:35:00', '00:01:00', '00:42:00', '00:43:00', '00:44:00', '00:50:00'].map((t) => fx.at(t).getTime()),
      );
      expect(stages[4].notes).toEqual(['deployer ListDeployments: unavailable: connection refused']);
      expect(stages.filter((s) => s.notes.length)).toHaveLength(1);
    });
  });
});
