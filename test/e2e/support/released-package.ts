import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ROOT } from '../build-once.js';
import type { LoadProducer } from './in-process-load.js';

const run = promisify(execFile);

/** The parts of a released package's public API (`dist/src/index.js`) a test uses. */
export interface ReleasedApi {
  readonly Producer: new (options: {
    queue: { host: string; port: number };
    queueName: string;
  }) => LoadProducer;
  /** Its settings table: each entry's `env` is a COUNTD_* variable it accepts. */
  readonly SETTINGS: Readonly<Record<string, { readonly env: string }>>;
}

/** A released countd package (`npm pack` tarball) unpacked in a temporary folder. */
export interface ReleasedPackage {
  readonly version: string;
  /** Its `bin/countd.js`, for {@link WorkerProcess.start}. */
  readonly bin: string;
  /** The COUNTD_* variables it accepts (it refuses any other). */
  readonly settings: ReadonlySet<string>;
  readonly api: ReleasedApi;
  /** Removes the folder. */
  dispose(): Promise<void>;
}

/**
 * Unpacks `tarball` into `<temporary folder>/node_modules/countd` and loads its public API.
 * Inside a `node_modules` folder it is an installed package: vitest imports it as it is, like
 * any dependency, instead of transforming it as test code. A packed countd holds no
 * dependencies: a `node_modules` symlink in it resolves them to this repository's, so the
 * release must pin the same versions as package.json does (refused otherwise).
 */
export async function unpackRelease(tarball: string): Promise<ReleasedPackage> {
  const dir = await mkdtemp(join(tmpdir(), 'countd-release-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    const root = join(dir, 'node_modules', 'countd');
    await mkdir(root, { recursive: true });
    // npm pack puts everything under package/.
    await run('tar', ['-xzf', tarball, '-C', root, '--strip-components=1']);
    const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as Manifest;
    const ours = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as Manifest;
    for (const [name, version] of Object.entries(manifest.dependencies ?? {})) {
      const current = ours.dependencies?.[name];
      if (current !== version) {
        throw new Error(
          `${tarball}: countd ${manifest.version} needs ${name}@${version}, this repository has ` +
            `${current ?? 'none'}; it cannot share node_modules`,
        );
      }
    }
    await symlink(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    const api = (await import(
      /* @vite-ignore */ pathToFileURL(join(root, 'dist/src/index.js')).href
    )) as ReleasedApi;
    return {
      version: manifest.version,
      bin: join(root, 'bin/countd.js'),
      settings: new Set(Object.values(api.SETTINGS).map((s) => s.env)),
      api,
      dispose,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}

interface Manifest {
  readonly version: string;
  readonly dependencies?: Readonly<Record<string, string>>;
}
