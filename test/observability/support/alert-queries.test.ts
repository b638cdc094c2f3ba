import { describe, expect, it } from 'vitest';
import { alertExpressions } from '../promql-expressions.js';
import { underlyingQueries } from './alert-queries.js';

describe('underlyingQueries', () => {
  it.each([
    ['up == 0', ['up']],
    ['m > 5', ['m']],
    ['m >= bool 1.5', ['m']],
    ['m != -1e3', ['m']],
    ['(m < 0.5)', ['m']],
    [
      'histogram_quantile(0.99, sum by (job, le) (rate(x_bucket[5m]))) > 5',
      ['histogram_quantile(0.99, sum by (job, le) (rate(x_bucket[5m])))'],
    ],
    ['a > 10000\nand\nmax by (job) (deriv(b[10m])) > 0', ['a', 'max by (job) (deriv(b[10m]))']],
    ['a > 1 and on (job) b > 2 unless ignoring(x) c', ['a', 'b', 'c']],
    ['absent(up{job="w"} == 1)', ['up{job="w"} == 1']],
    // Comparisons of two queries, or inside calls, label values and strings, are the query.
    ['a > b', ['a > b']],
    ['sum(m > 5)', ['sum(m > 5)']],
    ['m{le=">5", x!="a and b"} > 5', ['m{le=">5", x!="a and b"}']],
    ['m{x="q\\" > 5"}', ['m{x="q\\" > 5"}']],
    ['sort_desc(m) or vector(0)', ['sort_desc(m)', 'vector(0)']],
  ])('%s', (expr, expected) => {
    expect(underlyingQueries(expr)).toEqual(expected);
  });

  it('turns every alert of alerts.yml into queries without their threshold', () => {
    for (const { alert, expr } of alertExpressions()) {
      const queries = underlyingQueries(expr);
      expect(queries.length, alert).toBeGreaterThan(0);
      for (const query of queries) {
        expect(query, alert).not.toBe('');
        // absent(q == 1) keeps its comparison: q == 1 is what is there when healthy.
        if (!expr.startsWith('absent('))
          expect(query, alert).not.toMatch(/(==|!=|>=|<=|>|<)\s*[\d.]+\s*$/);
      }
    }
  });
});
