import { describe, expect, it } from 'vitest';
import { codeBlocks } from './code-blocks.js';

const doc = [
  '# Title', //                              1
  '```ts', //                                2
  "import { Producer } from 'countd';", //   3
  '```', //                                  4
  '```sh', //                                5
  'npx countd get page:home', //             6
  '```', //                                  7
  '<!-- not-run: continues the block above -->',
  '```js', //                                9
  'await reader.close();', //                10
  '```', //                                  11
  '- a list item:', //                       12
  '  ```ts', //                              13
  '  const a = 1;', //                       14
  '  ```', //                                15
].join('\n');

describe('codeBlocks', () => {
  it('returns the ts and js blocks with their line, language and opt-out reason', () => {
    expect(codeBlocks('doc.md', doc)).toEqual([
      {
        id: 'doc.md:2',
        lang: 'ts',
        code: "import { Producer } from 'countd';\n",
        notRun: undefined,
      },
      {
        id: 'doc.md:9',
        lang: 'js',
        code: 'await reader.close();\n',
        notRun: 'continues the block above',
      },
      { id: 'doc.md:13', lang: 'ts', code: 'const a = 1;\n', notRun: undefined },
    ]);
  });

  it('refuses a not-run marker without a reason', () => {
    expect(() => codeBlocks('doc.md', '<!-- not-run -->\n```ts\nx;\n```\n')).toThrow(
      'doc.md:2: a not-run marker needs a reason',
    );
  });
});
