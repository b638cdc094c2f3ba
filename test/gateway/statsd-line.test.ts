import { describe, expect, it } from 'vitest';
import { parseStatsdLine } from '../../src/gateway/index.js';

describe('parseStatsdLine', () => {
  it.each([
    ['page.home:1|c', 'page.home', 1, 'counted'],
    ['page.home:-3|c', 'page.home', -3, 'counted'],
    ['page.home:+2|c', 'page.home', 2, 'counted'],
    // The name ends at the last ':' before the '|': countd names hold ':'.
    ['page:/home:5|c', 'page:/home', 5, 'counted'],
    ['a:b:c:7|c', 'a:b:c', 7, 'counted'],
    ['views:1|c|@1', 'views', 1, 'counted'],
    ['views:1|c|@0.1', 'views', 10, 'sampled'],
    ['views:1|c|@.5', 'views', 2, 'sampled'],
    ['views:1|c|@0.3', 'views', 3, 'sampled'], // 3.33 → 3
    ['views:1|c|@0.4', 'views', 3, 'sampled'], // 2.5 → 3 (half away from zero)
    ['views:-1|c|@0.4', 'views', -3, 'sampled'], // -2.5 → -3, not -2
    ['views:0|c|@0.5', 'views', 0, 'sampled'],
    ['naïve € 😀:1|c', 'naïve € 😀', 1, 'counted'],
  ])('%s counts %s by %d (%s)', (line, name, delta, outcome) => {
    expect(parseStatsdLine(line)).toEqual({ ok: true, name, delta, outcome });
  });

  it.each([
    ['gauge', 'temp:20|g', 'type "g" is not a counter'],
    ['timer', 'req:320|ms', 'type "ms" is not a counter'],
    ['set', 'users:42|s', 'type "s" is not a counter'],
    ['histogram', 'size:3|h', 'type "h" is not a counter'],
    ['distribution', 'size:3|d', 'type "d" is not a counter'],
  ])('refuses a %s: %s', (_label, line, problem) => {
    expect(parseStatsdLine(line)).toEqual({ ok: false, outcome: 'refused_type', problem });
  });

  it('refuses DogStatsD tags rather than mangle the name', () => {
    expect(parseStatsdLine('views:1|c|#country:fr')).toMatchObject({
      ok: false,
      outcome: 'refused_tags',
    });
    expect(parseStatsdLine('views:1|c|@0.5|#a,b')).toMatchObject({ outcome: 'refused_tags' });
  });

  it.each([
    ['no type', 'views:1', 'no "|type"'],
    ['no colon', 'views|c', 'no ":" before "|"'],
    ['nothing before the bar', '|c', 'no ":" before "|"'],
    ['empty name', ':1|c', 'counter name must not be empty'],
    ['empty delta', 'views:|c', 'delta "" is not an integer'],
    ['a fraction', 'views:1.5|c', 'delta "1.5" is not an integer'],
    ['an exponent', 'views:1e3|c', 'is not an integer'],
    ['a word', 'views:one|c', 'is not an integer'],
    ['an unsafe delta', 'views:9007199254740993|c', 'outside the safe integer range'],
    ['a sample scaled past 2^53', 'views:9007199254740991|c|@0.5', 'outside the safe integer'],
    ['rate 0', 'views:1|c|@0', 'sample rate "0" is not in (0, 1]'],
    ['rate above 1', 'views:1|c|@2', 'is not in (0, 1]'],
    ['rate not a number', 'views:1|c|@x', 'sample rate "x"'],
    ['two rates', 'views:1|c|@0.5|@0.5', 'unexpected field "@0.5"'],
    ['an unknown field', 'views:1|c|T1656581400', 'unexpected field "T1656581400"'],
    ['an unknown type', 'views:1|x', 'unknown type "x"'],
    ['a control in the name', 'vi\u0001ews:1|c', 'contains a control character'],
    ['a multi-value line', 'views:1|c:2|c', 'unknown type "c:2"'],
    ['a DogStatsD event', '_e{5,4}:title|text', 'unknown type "text"'],
  ])('calls %s malformed: %s', (_label, line, problem) => {
    const parsed = parseStatsdLine(line);
    expect(parsed).toMatchObject({ ok: false, outcome: 'malformed' });
    expect(parsed.ok ? '' : parsed.problem).toContain(problem);
  });
});
