/** `tradepipe init`: a new project that runs immediately. Never overwrites a file. */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const FILES: Record<string, string> = {
  'tradepipe.yaml': '# Marks the tradepipe project root: relative paths in pipelines resolve here,\n# and the cache lives in .tradepipe/ next to this file.\n',
  '.gitignore': '.tradepipe/\nout/\nconfig/api_keys.yaml\n',
  'config/data.yaml': 'numbers:\n  start: 21\n',
  'hyperparameters/scale.yaml': 'default:\n  factor: 2\n  offset: 0\n',
  'pipelines.d/example.yaml': `pipeline: example
vars:
  out: out
steps:
  raw:
    uses: exec
    with:
      cmd: mkdir -p \${vars.out} && echo 21 > \${vars.out}/raw.txt
      outs: ["\${vars.out}/raw.txt"]
  double:
    uses: exec
    with:
      cmd: awk '{print $1*2}' \${vars.out}/raw.txt > \${vars.out}/double.txt
      deps: ["\${vars.out}/raw.txt"]
      outs: ["\${vars.out}/double.txt"]
  scaled:
    uses: scale
    needs: [double]
    with:
      $ref: hyperparameters/scale.yaml#/default
      path: \${vars.out}/double.txt
  report:
    uses: exec
    needs: [scaled]
    with:
      cmd: cat \${vars.out}/double.txt
plugins:
  scale: ./plugins/scale
`,
  'plugins/scale/plugin.mts': `// A sample plugin: the contract is a plain object (see tradepipe's engine/plugin.ts).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export default {
  name: 'scale',
  version: '1',
  description: 'Reads a number from a file and returns factor * n + offset as JSON.',
  paramsSchema: {
    type: 'object',
    required: ['path'],
    additionalProperties: false,
    properties: {
      path: { type: 'string' },
      factor: { type: 'number', default: 1 },
      offset: { type: 'number', default: 0 },
    },
  },
  inputs: {},
  outputs: { value: { description: 'the scaled number' } },
  files: (params: { path: string }) => ({ deps: [params.path] }),
  async run(ctx: { projectRoot: string; log: { info(m: string): void } }, params: { path: string; factor: number; offset: number }) {
    const n = Number((await readFile(join(ctx.projectRoot, params.path), 'utf8')).trim());
    const value = params.factor * n + params.offset;
    ctx.log.info(\`\${n} -> \${value}\`);
    return { value: { kind: 'json', value } };
  },
};
`,
};

export async function initProject(dir: string): Promise<string[]> {
  const existing = Object.keys(FILES).filter((f) => existsSync(join(dir, f)));
  if (existing.length > 0) throw new Error(`refusing to overwrite existing files in ${dir}: ${existing.join(', ')}`);
  for (const [rel, text] of Object.entries(FILES)) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
  return Object.keys(FILES);
}
