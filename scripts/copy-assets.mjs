// Copies the Lua scripts and the web page's files next to the compiled code: tsc only emits .js.
//   node scripts/copy-assets.mjs [outDir]   (dist by default; the bench build uses build)
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const from = 'src/scripts';
const to = join(process.argv[2] ?? 'dist', 'src/scripts');
mkdirSync(to, { recursive: true });
for (const file of readdirSync(from)) {
  if (file.endsWith('.lua')) cpSync(join(from, file), join(to, file));
}

// The web page ships as plain files (no bundler): countd ui serves them from beside its module.
const page = 'workers/ui/page';
const pageTo = join(process.argv[2] ?? 'dist', page);
mkdirSync(pageTo, { recursive: true });
for (const file of readdirSync(page)) cpSync(join(page, file), join(pageTo, file));
