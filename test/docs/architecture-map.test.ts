import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The folders the map covers, with everything below them. */
const MAPPED_ROOTS = ['.ci', 'bin', 'docs', 'grafana', 'scripts', 'src', 'test', 'workers'];

/**
 * The folders of the tree in docs/architecture.md's "Folder map", as paths from the root.
 * A line is `<indent>├── <name>/  <what lives there>`, the indent one `│   ` or four spaces
 * per level.
 */
function mappedFolders(page: string): string[] {
  const section = page.split('\n## Folder map\n')[1];
  const tree = section?.split('```')[1];
  if (tree === undefined) throw new Error('docs/architecture.md has no tree under "## Folder map"');
  const folders: string[] = [];
  const parents: string[] = [];
  for (const line of tree.split('\n')) {
    const entry = /^((?:│ {3}| {4})*)[├└]── (\S+)\/(?: +(.*))?$/u.exec(line);
    if (entry === null) continue;
    const depth = (entry[1] ?? '').length / 4;
    const name = entry[2] ?? '';
    expect(entry[3], `${name}/ in the map says what lives there`).toBeTruthy();
    parents.length = depth;
    parents.push(name);
    folders.push(parents.join('/'));
  }
  return folders;
}

/** Every folder holding a file git tracks, or would track (new and not ignored), and their parents. */
function repositoryFolders(): string[] {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((file) => file !== '' && statSync(`${ROOT}${file}`, { throwIfNoEntry: false }));
  const folders = new Set<string>();
  for (const file of files) {
    const parts = file.split('/').slice(0, -1);
    if (!MAPPED_ROOTS.includes(parts[0] ?? '')) continue;
    for (let n = 1; n <= parts.length; n++) folders.add(parts.slice(0, n).join('/'));
  }
  return [...folders].sort();
}

describe('docs/architecture.md folder map', () => {
  const mapped = mappedFolders(readFileSync(`${ROOT}docs/architecture.md`, 'utf8'));
  const actual = repositoryFolders();

  it('lists every folder once', () => {
    expect(mapped.length).toBeGreaterThan(0);
    expect(mapped.filter((folder, i) => mapped.indexOf(folder) !== i)).toEqual([]);
  });

  it('lists every folder of the repository', () => {
    expect(actual.filter((folder) => !mapped.includes(folder))).toEqual([]);
  });

  it('lists only folders that exist', () => {
    expect(mapped.filter((folder) => !actual.includes(folder))).toEqual([]);
  });
});
