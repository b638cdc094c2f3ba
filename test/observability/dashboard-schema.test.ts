import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { createGenerator } from 'ts-json-schema-generator';
import { beforeAll, describe, expect, it } from 'vitest';
import { allPanels, readDashboard, type DashboardPanel } from './promql-expressions.js';

/*
 * The schema is Grafana's own: @grafana/schema ships the TypeScript types Grafana generates from
 * its CUE dashboard kind (raw/dashboard/x/types.gen.d.ts: `Dashboard`, `Panel`, `RowPanel`...)
 * and from each panel plugin's schema (raw/composable/<plugin>/panelcfg/x/types.gen.d.ts:
 * `Options`, `FieldConfig`). ts-json-schema-generator turns them into JSON Schema (draft-07)
 * at test time, so upgrading @grafana/schema upgrades the check. By hand, the same schema is:
 *
 *   npx ts-json-schema-generator --no-type-check --additional-properties false \
 *     --path node_modules/@grafana/schema/dist/types/raw/dashboard/x/types.gen.d.ts --type Dashboard
 *
 * Interfaces are closed (additionalProperties: false, the generator's default), so a misspelt
 * field fails instead of being ignored by Grafana.
 */
const require = createRequire(import.meta.url);
const SCHEMA_TYPES = join(
  dirname(require.resolve('@grafana/schema/package.json')),
  'dist/types/raw',
);

function grafanaSchema(file: string, type: string): object {
  return createGenerator({
    path: join(SCHEMA_TYPES, file),
    type,
    skipTypeCheck: true,
    additionalProperties: false,
    jsDoc: 'none',
  }).createSchema(type);
}

function errorsOf(validate: ValidateFunction, data: unknown): string[] {
  if (validate(data)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
  );
}

/** Panel plugin schemas checked beside the dashboard's: `options` and `fieldConfig.defaults.custom`. */
const PLUGINS: Record<string, { options: string; custom?: string }> = {
  timeseries: { options: 'composable/timeseries/panelcfg/x/types.gen.d.ts', custom: 'FieldConfig' },
  stat: { options: 'composable/stat/panelcfg/x/types.gen.d.ts' },
};

interface PluginValidators {
  options: ValidateFunction;
  custom?: ValidateFunction;
}

let validateDashboard: ValidateFunction;
const pluginValidators = new Map<string, PluginValidators>();

beforeAll(() => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  validateDashboard = ajv.compile(grafanaSchema('dashboard/x/types.gen.d.ts', 'Dashboard'));
  for (const [type, { options, custom }] of Object.entries(PLUGINS)) {
    pluginValidators.set(type, {
      options: ajv.compile(grafanaSchema(options, 'Options')),
      ...(custom === undefined ? {} : { custom: ajv.compile(grafanaSchema(options, custom)) }),
    });
  }
}, 60_000);

describe('grafana/dashboards/countd.json against Grafana schema (@grafana/schema)', () => {
  const dashboard = readDashboard();
  const panels = allPanels(dashboard);
  const content = panels.filter((p) => p.type !== 'row');

  it('is a valid Grafana dashboard', () => {
    expect(errorsOf(validateDashboard, dashboard)).toEqual([]);
  });

  it('the schema is not vacuous: it rejects broken dashboards', () => {
    const broken = (mutate: (d: Record<string, unknown>) => void): string[] => {
      const copy = JSON.parse(JSON.stringify(dashboard)) as Record<string, unknown>;
      mutate(copy);
      return errorsOf(validateDashboard, copy);
    };
    expect(broken((d) => delete d.schemaVersion)).not.toEqual([]);
    expect(broken((d) => (d.titel = 'typo'))).not.toEqual([]);
    expect(
      broken((d) => {
        const first = (d.panels as DashboardPanel[])[1];
        if (first?.gridPos) (first.gridPos as unknown as Record<string, unknown>).w = 'wide';
      }),
    ).not.toEqual([]);
  });

  it('uses a modern schemaVersion and only panel types checked here', () => {
    expect((dashboard as { schemaVersion?: number }).schemaVersion).toBeGreaterThanOrEqual(39);
    for (const p of panels) expect(['row', ...Object.keys(PLUGINS)], p.title).toContain(p.type);
  });

  it("matches each panel plugin's own schema (options, custom field config)", () => {
    for (const p of content) {
      const v = pluginValidators.get(p.type);
      if (v === undefined) throw new Error(`no schema for panel type ${p.type}`);
      const raw = p as DashboardPanel & {
        options?: unknown;
        fieldConfig?: { defaults?: { custom?: unknown } };
      };
      expect(errorsOf(v.options, raw.options), `${p.title} options`).toEqual([]);
      if (v.custom !== undefined) {
        expect(
          errorsOf(v.custom, raw.fieldConfig?.defaults?.custom ?? {}),
          `${p.title} custom`,
        ).toEqual([]);
      }
    }
  });

  it('has unique panel ids', () => {
    const ids = panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('places every panel inside the 24-column grid without overlap', () => {
    for (const p of panels) {
      const g = p.gridPos;
      expect(g, `${p.title} has no gridPos`).toBeDefined();
      if (g === undefined) continue;
      expect(g.x, p.title).toBeGreaterThanOrEqual(0);
      expect(g.y, p.title).toBeGreaterThanOrEqual(0);
      expect(g.w, p.title).toBeGreaterThanOrEqual(1);
      expect(g.h, p.title).toBeGreaterThanOrEqual(1);
      expect(g.x + g.w, `${p.title} overflows 24 columns`).toBeLessThanOrEqual(24);
    }
    for (const [i, a] of panels.entries()) {
      for (const b of panels.slice(i + 1)) {
        const [p, q] = [a.gridPos, b.gridPos];
        if (p === undefined || q === undefined) continue;
        const overlap = p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h;
        expect(overlap, `"${a.title}" overlaps "${b.title}"`).toBe(false);
      }
    }
  });

  it('gives every panel a title, and every query panel a Prometheus datasource', () => {
    for (const p of panels) expect(p.title?.trim(), `panel ${p.id} has no title`).toBeTruthy();
    for (const p of content) {
      expect(p.datasource?.type, `${p.title} datasource`).toBe('prometheus');
      expect(p.datasource?.uid, `${p.title} datasource`).toBeTruthy();
    }
  });

  it('takes its datasource from a variable that defaults to the provisioned uid', () => {
    const list = (dashboard.templating?.list ?? []) as {
      name: string;
      type: string;
      query?: unknown;
      current?: { value?: unknown };
    }[];
    const ds = list.find((v) => v.type === 'datasource');
    expect(ds?.query).toBe('prometheus');
    expect(ds?.current?.value).toBe('prometheus');
    for (const p of content) expect(p.datasource?.uid).toBe(`\${${ds?.name}}`);
  });
});
