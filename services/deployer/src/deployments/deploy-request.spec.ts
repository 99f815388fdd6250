import { deployerV1 } from '@flywheel/contracts';
import { InvalidArgumentException } from '@flywheel/platform';
import { DEFAULT_CANARY_POLICY as DEFAULT_POLICY } from '../testing/fakes';
import { parseDeployRequest } from './deploy-request';

const defaults = { followAlias: 'production', policy: DEFAULT_POLICY };

const request = (fields: Partial<deployerV1.DeployRequest>) => deployerV1.DeployRequest.fromPartial({ modelName: 'fraud', ...fields });

function rejection(fields: Partial<deployerV1.DeployRequest>): string {
  try {
    parseDeployRequest(request(fields), defaults);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentException);
    return (error as Error).message;
  }
  throw new Error('the request was accepted');
}

describe('DeployRequest checks', () => {
  it('names the deployment after the model and follows the default alias when no target is given', () => {
    expect(parseDeployRequest(request({}), defaults)).toEqual({
      name: 'fraud',
      modelName: 'fraud',
      alias: 'production',
      version: 0,
      policy: {},
      reason: '',
    });
  });

  it('pins a version (no alias) or follows the alias given', () => {
    expect(parseDeployRequest(request({ name: 'fraud-eu', version: 3 }), defaults)).toMatchObject({
      name: 'fraud-eu',
      alias: '',
      version: 3,
    });
    expect(parseDeployRequest(request({ alias: 'staging' }), defaults)).toMatchObject({ alias: 'staging', version: 0 });
    expect(parseDeployRequest(request({ alias: '' }), defaults)).toMatchObject({ alias: 'production', version: 0 });
  });

  it("fills a policy's zero values with the defaults and keeps the rest", () => {
    const spec = parseDeployRequest(
      request({
        canaryPolicy: {
          trafficShare: 0.25,
          minRequests: 40,
          maxErrorRateIncrease: 0,
          maxLatencyRatio: 0,
          maxAccuracyDrop: 0.05,
          minLabelled: 0,
          maxDuration: { seconds: 600, nanos: 0 },
        },
      }),
      defaults,
    );
    expect(spec.policy).toEqual({
      trafficShare: 0.25,
      minRequests: 40,
      maxErrorRateIncrease: 0,
      maxLatencyRatio: 1.5,
      maxAccuracyDrop: 0.05,
      minLabelled: 50,
      maxDurationMs: 600_000,
    });
  });

  it('sets only the policy fields named in canary_policy_fields', () => {
    const spec = parseDeployRequest(
      request({
        canaryPolicy: deployerV1.CanaryPolicy.fromPartial({ trafficShare: 0.3, minRequests: 0 }),
        canaryPolicyFields: ['traffic_share', 'min_requests'],
      }),
      defaults,
    );
    expect(spec.policy).toEqual({ trafficShare: 0.3, minRequests: 200 });
    expect(rejection({ canaryPolicy: deployerV1.CanaryPolicy.fromPartial({}), canaryPolicyFields: ['share'] })).toContain(
      'canary_policy_fields: "share" is not a CanaryPolicy field (traffic_share, min_requests,',
    );
    expect(rejection({ canaryPolicyFields: ['traffic_share'] })).toContain(
      'canary_policy: is required when canary_policy_fields names fields',
    );
  });

  it('rejects bad names, targets and reasons, naming the field', () => {
    expect(rejection({ modelName: '' })).toContain('model_name: is required');
    expect(rejection({ name: 'Fraud EU' })).toContain('name: must match');
    expect(rejection({ modelName: 'Claims.Fraud' })).toContain('name: is empty and the model name cannot name a deployment');
    expect(rejection({ version: 0 })).toContain('version: must be a version number');
    expect(rejection({ version: -2 })).toContain('version: must be a version number');
    expect(rejection({ alias: 'staging', version: 2 })).toContain('target: give either alias or version, not both');
    expect(rejection({ alias: 'Prod!' })).toContain('alias: must match');
    expect(rejection({ reason: 'x'.repeat(1001) })).toContain('reason: must be at most 1000 characters');
  });

  it.each([
    [{ trafficShare: 1.5 }, 'canary_policy.traffic_share: must be between 0 and 1'],
    [{ trafficShare: -0.1 }, 'canary_policy.traffic_share: must be between 0 and 1'],
    [{ trafficShare: Number.NaN }, 'canary_policy.traffic_share: must be between 0 and 1'],
    [{ minRequests: -1 }, 'canary_policy.min_requests: must be a whole number'],
    [{ minRequests: 2.5 }, 'canary_policy.min_requests: must be a whole number'],
    [{ maxErrorRateIncrease: 2 }, 'canary_policy.max_error_rate_increase: must be between 0 and 1'],
    [{ maxLatencyRatio: 0.5 }, 'canary_policy.max_latency_ratio: must be 1 or more'],
    [{ maxAccuracyDrop: -0.01 }, 'canary_policy.max_accuracy_drop: must be between 0 and 1'],
    [{ minLabelled: -5 }, 'canary_policy.min_labelled: must be a whole number'],
    [{ maxDuration: { seconds: 0, nanos: 0 } }, 'canary_policy.max_duration: must be positive'],
    [{ maxDuration: { seconds: -60, nanos: 0 } }, 'canary_policy.max_duration: must be positive'],
  ] as const)('rejects the canary policy %j', (policy, message) => {
    expect(rejection({ canaryPolicy: deployerV1.CanaryPolicy.fromPartial(policy) })).toContain(message);
  });

  it('accepts a share of 1 (no canary) and the documented zero defaults', () => {
    expect(
      parseDeployRequest(request({ canaryPolicy: deployerV1.CanaryPolicy.fromPartial({ trafficShare: 1 }) }), defaults).policy,
    ).toMatchObject({
      trafficShare: 1,
      minRequests: 200,
      maxDurationMs: 3_600_000,
    });
  });
});
