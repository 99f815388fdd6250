import { registryV1 } from '@flywheel/contracts';
import { InvalidArgumentException } from '@flywheel/platform';
import {
  parseAuditQuery,
  parseCreateModel,
  parseDeleteAlias,
  parsePolicySettings,
  parseReadModelArtifact,
  parseSetAlias,
  parseVersionRef,
} from './registry-requests';

function rejection(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentException);
    return (error as InvalidArgumentException).message;
  }
  throw new Error('expected INVALID_ARGUMENT');
}

const policy: registryV1.PromotionPolicy = {
  modelName: 'fraud',
  autoPromote: true,
  alias: '',
  metric: '',
  minAbsoluteImprovement: 0,
  minRelativeImprovement: 0,
  minHoldoutRows: 0,
};

describe('registry requests', () => {
  it('name every bad field of CreateModel as the .proto spells it, all at once', () => {
    expect(rejection(() => parseCreateModel({ name: 'Bad Name', description: '', tags: {} }))).toBe(
      'name: must match [a-z][a-z0-9_-]{0,62}',
    );
    expect(
      rejection(() => parseCreateModel({ name: '', description: 'x'.repeat(2001), tags: { 'bad key': 'v', ok: 'x'.repeat(257) } })),
    ).toBe(
      'name: is required; description: must be at most 2000 characters; tags[bad key]: key must be 1-63 of A-Z a-z 0-9 _ . : / -; tags[ok]: must be at most 256 characters',
    );
    const tags = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    expect(rejection(() => parseCreateModel({ name: 'fraud', description: '', tags }))).toBe('tags: must have at most 50 entries');
    expect(parseCreateModel({ name: 'fraud', description: 'd', tags: { team: 'risk' } })).toEqual({
      name: 'fraud',
      description: 'd',
      tags: { team: 'risk' },
    });
  });

  it('read a version by alias when one is given, by number otherwise', () => {
    expect(parseVersionRef({ modelName: 'fraud', alias: 'production' })).toEqual({ modelName: 'fraud', alias: 'production' });
    expect(parseVersionRef({ modelName: 'fraud', alias: '', version: 3 })).toEqual({ modelName: 'fraud', version: 3 });
    expect(rejection(() => parseVersionRef({ modelName: 'fraud', version: 0 }))).toBe('version: must be a version number ≥ 1');
    expect(rejection(() => parseVersionRef({ modelName: 'Fraud', alias: 'Prod' }))).toBe(
      'model_name: must match [a-z][a-z0-9_-]{0,62}; alias: must match [a-z][a-z0-9_-]{0,62}',
    );
  });

  it('check alias changes and their reason', () => {
    expect(rejection(() => parseSetAlias({ modelName: '', alias: '', version: 1.5, reason: 'x'.repeat(1001) }))).toBe(
      'model_name: is required; alias: is required; version: must be a version number ≥ 1; reason: must be at most 1000 characters',
    );
    expect(parseDeleteAlias({ modelName: 'fraud', alias: 'production', reason: '' })).toEqual({
      modelName: 'fraud',
      alias: 'production',
      reason: '',
    });
  });

  it('read the audit filter: empty model and UNSPECIFIED action mean every one', () => {
    expect(parseAuditQuery({ modelName: '', action: registryV1.AuditAction.AUDIT_ACTION_UNSPECIFIED, page: undefined })).toEqual({
      modelName: undefined,
      action: undefined,
    });
    expect(parseAuditQuery({ modelName: 'fraud', action: registryV1.AuditAction.AUDIT_ACTION_ALIAS_SET, page: undefined })).toEqual({
      modelName: 'fraud',
      action: registryV1.AuditAction.AUDIT_ACTION_ALIAS_SET,
    });
    expect(rejection(() => parseAuditQuery({ modelName: '', action: 999 as registryV1.AuditAction, page: undefined }))).toBe(
      'action: is not an AuditAction',
    );
  });

  it('check a promotion policy field by field under policy.*', () => {
    expect(rejection(() => parsePolicySettings({ policy: undefined }))).toBe('policy: is required');
    expect(
      rejection(() =>
        parsePolicySettings({
          policy: {
            ...policy,
            alias: 'Prod',
            metric: 'auc',
            minAbsoluteImprovement: -1,
            minRelativeImprovement: Number.NaN,
            minHoldoutRows: 2.5,
          },
        }),
      ),
    ).toBe(
      'policy.alias: must match [a-z][a-z0-9_-]{0,62}; policy.metric: must be empty or one of accuracy, precision, recall, f1, roc_auc, log_loss, brier, rmse, mae, r2; ' +
        'policy.min_absolute_improvement: must be a finite number ≥ 0; policy.min_relative_improvement: must be a finite number ≥ 0; ' +
        'policy.min_holdout_rows: must be an integer ≥ 0',
    );
    expect(parsePolicySettings({ policy: { ...policy, metric: 'log_loss', minHoldoutRows: 200 } })).toEqual({
      ...policy,
      metric: 'log_loss',
      minHoldoutRows: 200,
      autoDeploy: true,
    });
    expect(parsePolicySettings({ policy: { ...policy, autoDeploy: false } }).autoDeploy).toBe(false);
  });

  it("reads a version's artifact by number or alias, in ranges the contract allows", () => {
    expect(parseReadModelArtifact({ modelName: 'fraud', version: 3, offset: 0, maxBytes: 0 })).toEqual({
      ref: { modelName: 'fraud', version: 3 },
      offset: 0,
      maxBytes: 0,
    });
    expect(parseReadModelArtifact({ modelName: 'fraud', alias: 'production', offset: 8, maxBytes: 1 }).ref).toEqual({
      modelName: 'fraud',
      alias: 'production',
    });
    expect(rejection(() => parseReadModelArtifact({ modelName: 'fraud', version: 1, offset: -5, maxBytes: 1 << 30 }))).toBe(
      'offset: must be 0 or more; max_bytes: must be at most 4194304 (4 MiB)',
    );
    expect(rejection(() => parseReadModelArtifact({ modelName: '../fraud', version: 1, offset: 0, maxBytes: 0 }))).toMatch(/^model_name: /);
  });
});
