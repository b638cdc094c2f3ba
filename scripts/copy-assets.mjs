// Copies the Lua scripts next to the compiled code: tsc only emits .js.
//   node scripts/copy-assets.mjs [outDir]   (dist by default; the bench build uses build)
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const from = 'src/scripts';
const to = join(process.argv[2] ?? 'dist', 'src/scripts');
mkdirSync(to, { recursive: true });
for (const file of readdirSync(from)) {
  if (file.endsWith('.lua')) cpSync(join(from, file), join(to, file));
}
