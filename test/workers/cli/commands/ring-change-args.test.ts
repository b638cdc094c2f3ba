import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../src/errors/index.js';
import {
  parseRingChangeArgs,
  withoutCredentials,
} from '../../../../workers/cli/commands/ring-change-args.js';
import { UsageError } from '../../../../workers/cli/usage-error.js';
import { runCli } from './run-cli.js';

describe('parseRingChangeArgs', () => {
  it('reads an added node, storing its URL without credentials', () => {
    const args = parseRingChangeArgs('add', ['d:3=redis://ops:s3cret@10.0.0.4:6380/2', '--wait']);
    expect(args.request).toEqual({
      kind: 'add',
      node: { id: 'd', weight: 3, url: 'redis://10.0.0.4:6380/2' },
    });
    expect(args.added?.connection.password).toBe('s3cret');
    expect(args.wait).toBe(true);
    expect(args.dryRun).toBe(false);
  });

  it('gives an added node weight 1 by default', () => {
    const args = parseRingChangeArgs('add', ['d=redis://h:1', '--dry-run', '--json']);
    expect(args.request).toEqual({ kind: 'add', node: { id: 'd', weight: 1, url: 'redis://h:1' } });
    expect(args.dryRun).toBe(true);
    expect(args.json).toBe(true);
  });

  it('reads remove, reweight and layout', () => {
    expect(parseRingChangeArgs('remove', ['b']).request).toEqual({ kind: 'remove', id: 'b' });
    expect(parseRingChangeArgs('reweight', ['a', '4']).request).toEqual({
      kind: 'reweight',
      id: 'a',
      weight: 4,
    });
    expect(parseRingChangeArgs('layout', ['--buckets', '8192']).request).toEqual({
      kind: 'layout',
      buckets: 8192,
    });
    expect(parseRingChangeArgs('layout', ['--buckets', '8192']).fitBuckets).toBe(false);
    // `fit`: no count yet; the command derives it from the nodes.
    const fit = parseRingChangeArgs('layout', ['--buckets', 'fit', '--dry-run']);
    expect([fit.request, fit.fitBuckets, fit.dryRun]).toEqual([{ kind: 'layout' }, true, true]);
    expect(parseRingChangeArgs('remove', ['b', '--batch', '500']).pacing).toEqual({
      batch: 500,
      maxRate: undefined,
    });
    expect(
      parseRingChangeArgs('add', ['d=redis://h:1', '--max-rate', '2_000']).pacing.maxRate,
    ).toBe(2000);
  });

  const bad: [string, Parameters<typeof parseRingChangeArgs>, RegExp][] = [
    ['add without a node', ['add', []], /missing argument \(usage: countd ring add <id>/],
    ['add without a URL', ['add', ['d']], /expected <id>\[:<weight>\]=<url>, got "d"/],
    ['add of two nodes', ['add', ['d=redis://h:1,e=redis://h:2']], /one node at a time/],
    ['add with a bad scheme', ['add', ['d=http://h:1']], /unsupported scheme/],
    ['add with a bad weight', ['add', ['d:0=redis://h:1']], /weight 0/],
    ['add with a bad id', ['add', ['d!=redis://h:1']], /must match/],
    ['remove with two ids', ['remove', ['a', 'b']], /unexpected argument "b"/],
    ['reweight without a weight', ['reweight', ['a']], /missing argument/],
    ['reweight with a bad weight', ['reweight', ['a', 'heavy']], /weight "heavy"/],
    ['layout without --buckets', ['layout', []], /give the new bucket count/],
    ['layout with a bad --buckets', ['layout', ['--buckets', 'many']], /--buckets/],
    ['layout with --buckets FIT', ['layout', ['--buckets', 'FIT']], /--buckets/],
    ['layout with a positional', ['layout', ['8', '--buckets', '8']], /unexpected argument "8"/],
    [
      '--wait with --dry-run',
      ['remove', ['a', '--wait', '--dry-run']],
      /--dry-run changes nothing/,
    ],
    ['a bad --batch', ['remove', ['a', '--batch', '0']], /--batch: 0 is out of range/],
    ['a negative --max-rate', ['remove', ['a', '--max-rate=-1']], /--max-rate: -1 is out of range/],
    [
      'a --max-rate with a unit',
      ['remove', ['a', '--max-rate', '5k']],
      /--max-rate: "5k" is not an integer/,
    ],
    ['an unknown flag', ['remove', ['a', '--force']], /Unknown option '--force'/],
  ];
  for (const [label, [kind, args], message] of bad) {
    it(`refuses ${label}`, () => {
      let caught: unknown;
      try {
        parseRingChangeArgs(kind, args);
      } catch (err) {
        caught = err;
      }
      expect(caught instanceof UsageError || caught instanceof ConfigError).toBe(true);
      expect((caught as Error).message).toMatch(message);
    });
  }
});

describe('withoutCredentials', () => {
  it('drops username and password, and a Sentinel URL sentinel credentials', () => {
    expect(withoutCredentials('redis://u:p@h:1/3')).toBe('redis://h:1/3');
    expect(withoutCredentials('rediss://:p%40ss@h:1')).toBe('rediss://h:1');
    expect(withoutCredentials('redis://h:1')).toBe('redis://h:1');
    expect(
      withoutCredentials(
        'redis+sentinel://u:p@s1:26379+s2:26380/main/1?sentinelUsername=su&sentinelPassword=sp',
      ),
    ).toBe('redis+sentinel://s1:26379+s2:26380/main/1');
  });
});

describe('countd ring add|remove|reweight|layout: bad usage', () => {
  const env = { COUNTD_QUEUE_URL: 'redis://127.0.0.1:1' };
  const usage: [string, string[]][] = [
    ['no node', ['ring', 'add']],
    ['a node without URL', ['ring', 'add', 'd']],
    ['a bad weight', ['ring', 'reweight', 'a', '0']],
    ['--dry-run with --wait', ['ring', 'remove', 'a', '--dry-run', '--wait']],
    ['layout without --buckets', ['ring', 'layout']],
    ['status with an argument', ['ring', 'status', 'now']],
    ['resume with an argument', ['ring', 'resume', 'please']],
  ];
  for (const [label, argv] of usage) {
    it(`exits 2 on ${label}, before reaching any Redis`, async () => {
      const result = await runCli(argv, { env });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/countd ring|weight|--/);
      expect(result.stdout).toBe('');
    });
  }

  it('never prints the password of the added URL', async () => {
    const result = await runCli(['ring', 'add', 'd:x=redis://ops:hunter2@h:1'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/weight "x"/);
    expect(`${result.stdout}${result.stderr}`).not.toContain('hunter2');
  });

  it('refuses a malformed password without showing it', async () => {
    const result = await runCli(['ring', 'add', 'd=redis://ops:hun/ter2@h:1'], { env });
    expect(result.code).toBe(2);
    expect(`${result.stdout}${result.stderr}`).not.toContain('hun/ter2');
    expect(`${result.stdout}${result.stderr}`).not.toContain('ter2');
  });

  it('lists the change subcommands in countd ring --help', async () => {
    const result = await runCli(['ring', '--help']);
    expect(result.code).toBe(0);
    for (const sub of ['add <id>[:<weight>]=<url>', 'remove <id>', 'reweight <id> <weight>'])
      expect(result.stdout).toContain(`countd ring ${sub}`);
    expect(result.stdout).toContain('countd ring layout --buckets <B|fit>');
    expect(result.stdout).toContain('countd ring status [--json]');
    expect(result.stdout).toContain('countd ring resume [--wait]');
  });
});
