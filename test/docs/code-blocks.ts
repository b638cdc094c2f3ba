/**
 * The TypeScript and JavaScript examples of a Markdown document, as the reader sees them.
 * A block opts out of being run only with a comment on the line before its fence:
 *
 *     <!-- not-run: a fragment of the example above -->
 *     ```ts
 *
 * The reason is required, so every opt-out says why it cannot run alone.
 */

/** One fenced ```ts / ```js block. */
export interface CodeBlock {
  /** `README.md:48`: the document and the line of the opening fence. */
  readonly id: string;
  readonly lang: 'ts' | 'js';
  readonly code: string;
  /** The `not-run` reason, when the block opts out. */
  readonly notRun: string | undefined;
}

const LANGS: Readonly<Record<string, 'ts' | 'js'>> = {
  ts: 'ts',
  typescript: 'ts',
  js: 'js',
  javascript: 'js',
  mjs: 'js',
};
const NOT_RUN = /^<!--\s*not-run:\s*(\S.*?)\s*-->$/;

/** The ts/js blocks of `markdown` in document order; `name` prefixes their ids. */
export function codeBlocks(name: string, markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]!);
    if (open === null) continue;
    const [, indent, fence, info] = open as unknown as [string, string, string, string];
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.trimStart().startsWith(fence); i++) {
      body.push(lines[i]!.startsWith(indent) ? lines[i]!.slice(indent.length) : lines[i]!);
    }
    const lang = LANGS[info.toLowerCase()];
    if (lang === undefined) continue;
    const previous = start > 0 ? lines[start - 1]!.trim() : '';
    if (previous.startsWith('<!--') && previous.includes('not-run') && !NOT_RUN.test(previous)) {
      throw new Error(`${name}:${start + 1}: a not-run marker needs a reason: ${previous}`);
    }
    blocks.push({
      id: `${name}:${start + 1}`,
      lang,
      code: body.join('\n') + '\n',
      notRun: NOT_RUN.exec(previous)?.[1],
    });
  }
  return blocks;
}
