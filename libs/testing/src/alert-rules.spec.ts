import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const root = resolve(__dirname, '../../..');

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Every TypeScript source of the platform's libraries and services (tests excluded). */
function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'generated') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (entry.endsWith('.ts') && !/\.(spec|integration-spec|e2e-spec)\.ts$/.test(entry)) out.push(readFileSync(path, 'utf8'));
  }
  return out;
}

describe('Prometheus alert rules (deploy/prometheus/flywheel-alerts.yaml)', () => {
  const file = parse(readFileSync(join(root, 'deploy/prometheus/flywheel-alerts.yaml'), 'utf8')) as {
    groups: Array<{ name: string; rules: Rule[] }>;
  };
  const rules = file.groups.flatMap((g) => g.rules);

  it('alerts on a parked outbox event and on records reaching an ingest topic without a dataset', () => {
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(['FlywheelOutboxParked', 'FlywheelUnregisteredIngestTopic']));
    for (const rule of rules) {
      expect(rule.labels?.severity).toMatch(/^(page|warn)$/);
      expect(rule.annotations?.summary).toMatch(/\S/);
      if (rule.for !== undefined) expect(rule.for).toMatch(/^\d+[smh]$/);
    }
  });

  it('names only metrics the services export', () => {
    const code = sources(join(root, 'libs'))
      .concat(sources(join(root, 'services')))
      .join('\n');
    for (const rule of rules) {
      const metrics = rule.expr.match(/flywheel_[a-z_]+/g) ?? [];
      expect(metrics.length).toBeGreaterThan(0);
      for (const metric of metrics)
        expect({ rule: rule.alert, metric, exported: code.includes(`'${metric}'`) }).toMatchObject({ exported: true });
    }
  });
});
