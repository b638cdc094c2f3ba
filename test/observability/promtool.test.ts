import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { commandRuns, skipWithoutTool } from '../support/required-tool.js';
import { alertRules } from './promql-expressions.js';

/*
 * promtool comes with Prometheus (Debian: `apt-get install -y prometheus`). Locally a missing
 * promtool skips these checks with a warning; in CI (CI set) it is a failure, never a skip.
 */
const PROMETHEUS_DIR = fileURLToPath(new URL('../../grafana/prometheus/', import.meta.url));
const promtoolMissing = !commandRuns('promtool', '--version');
const skipPromtool = skipWithoutTool(
  promtoolMissing ? 'promtool not found on PATH' : undefined,
  'the Prometheus config and alert rule checks',
  'apt-get install -y prometheus',
);

function promtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd: PROMETHEUS_DIR, encoding: 'utf8' });
  return {
    status: run.status,
    output: `${run.stdout ?? ''}${run.stderr ?? ''}${run.error?.message ?? ''}`,
  };
}

describe.skipIf(skipPromtool)('promtool', () => {
  it('is installed', () => {
    expect(promtoolMissing, 'promtool is required in CI: apt-get install -y prometheus').toBe(
      false,
    );
  });

  it('accepts prometheus.yml (and the rule files it loads)', () => {
    const run = promtool('check', 'config', 'prometheus.yml');
    expect(run.status, run.output).toBe(0);
  });

  it('accepts alerts.yml', () => {
    const run = promtool('check', 'rules', 'alerts.yml');
    expect(run.status, run.output).toBe(0);
  });

  it('passes the alert unit tests in alerts.test.yml', () => {
    const run = promtool('test', 'rules', 'alerts.test.yml');
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('SUCCESS');
  });
});

interface RuleTest {
  name: string;
  alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[];
}

describe('alerts.test.yml', () => {
  it('has, for every alert, a case where it fires and one where it must not', () => {
    const doc = parse(readFileSync(`${PROMETHEUS_DIR}alerts.test.yml`, 'utf8')) as {
      rule_files: string[];
      tests: RuleTest[];
    };
    expect(doc.rule_files).toContain('alerts.yml');
    const checks = doc.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const { alert } of alertRules()) {
      const mine = checks.filter((c) => c.alertname === alert);
      expect(
        mine.some((c) => (c.exp_alerts ?? []).length > 0),
        `${alert} never fires`,
      ).toBe(true);
      expect(
        mine.some((c) => (c.exp_alerts ?? []).length === 0),
        `${alert} has no silent case`,
      ).toBe(true);
    }
  });
});
