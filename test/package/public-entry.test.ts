import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { CountdError } from '../../src/errors/index.js';
import * as entry from '../../src/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The folders' public faces: every `src/<folder>/index.ts`, and the reader's errors. */
const FOLDER_INDEXES = [
  ...readdirSync(join(ROOT, 'src'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => `src/${d.name}/index.ts`)
    .filter((path) => ts.sys.fileExists(join(ROOT, path))),
  'src/reader/errors/index.ts',
];

/** README and docs/, where a user learns the API. */
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
].map((path) => ({ path, text: readFileSync(join(ROOT, path), 'utf8') }));

/**
 * Names exported by each module, types included, as the compiler resolves them. Only src/ is
 * read (no lib, no dependencies): re-exports resolve within it, which is all this needs.
 */
function exportsOf(paths: readonly string[]): Map<string, Set<string>> {
  const sources = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(ROOT, 'src', file));
  const program = ts.createProgram(sources, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2023,
    noEmit: true,
    noLib: true,
    noResolve: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const out = new Map<string, Set<string>>();
  for (const path of paths) {
    const source = program.getSourceFile(join(ROOT, path));
    const symbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    if (symbol === undefined) throw new Error(`${path}: not a module the compiler can read`);
    out.set(path, new Set(checker.getExportsOfModule(symbol).map((s) => s.name)));
  }
  return out;
}

function mentionedIn(name: string): string[] {
  const word = new RegExp(`(?<![\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`);
  return DOCS.filter((doc) => word.test(doc.text)).map((doc) => doc.path);
}

describe("the package entry 'countd' (src/index.ts)", () => {
  let exported: Map<string, Set<string>>;
  let entryNames: Set<string>;

  beforeAll(() => {
    exported = exportsOf(['src/index.ts', ...FOLDER_INDEXES]);
    entryNames = exported.get('src/index.ts')!;
  });

  it('exports every name of a folder index that the README or docs/ mention', () => {
    const missing: string[] = [];
    for (const path of FOLDER_INDEXES) {
      for (const name of exported.get(path)!) {
        const docs = mentionedIn(name);
        if (docs.length > 0 && !entryNames.has(name))
          missing.push(`${name} (${path}, named in ${docs.join(', ')})`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('exports every name that a doc example imports from countd or from a src/ folder', () => {
    const imports =
      /import\s*\{([^}]*)\}\s*from\s*'(countd|(?:\.{1,2}\/)+src\/[\w/-]+\/index\.js)'/g;
    const missing: string[] = [];
    let seen = 0;
    for (const doc of DOCS) {
      for (const [, names, from] of doc.text.matchAll(imports)) {
        for (const name of names!.split(',').map((n) => n.replace(/^\s*type\s+/, '').trim())) {
          if (name === '') continue;
          seen++;
          if (!entryNames.has(name)) missing.push(`${name} (${doc.path}, from '${from}')`);
        }
      }
    }
    expect(seen).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });

  it('exports every error class, as a value', () => {
    const errorNames = [
      ...exported.get('src/errors/index.ts')!,
      ...exported.get('src/reader/errors/index.ts')!,
    ].filter((name) => name.endsWith('Error'));
    expect(errorNames.length).toBeGreaterThan(10);
    const values = entry as Record<string, unknown>;
    for (const name of errorNames) {
      const value = values[name];
      expect(typeof value, name).toBe('function');
      if (value !== CountdError)
        expect((value as { prototype: unknown }).prototype, name).toBeInstanceOf(CountdError);
    }
  });

  it('has at run time every value the compiler sees exported (no type-only slip)', () => {
    const values = new Set(Object.keys(entry));
    for (const name of ['Producer', 'CounterWorker', 'CounterReader', 'HashRing', 'parseConfig'])
      expect(values.has(name), name).toBe(true);
    for (const name of values) expect(entryNames.has(name), name).toBe(true);
  });
});
