// Copies the Lua scripts next to the compiled code: tsc only emits .js.
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const from = 'src/commands';
const to = 'dist/src/commands';
mkdirSync(to, { recursive: true });
for (const file of readdirSync(from)) {
  if (file.endsWith('.lua')) cpSync(join(from, file), join(to, file));
}
