/** The browser app, bundled by esbuild when `tradepipe ui` starts: users never run a build step. */
import { join } from 'node:path';

export interface Bundle {
  js: string;
  css: string;
}

const APP = join(import.meta.dirname, 'app');

export async function bundleApp(): Promise<Bundle> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(APP, 'main.ts'), join(APP, 'style.css')],
    bundle: true,
    write: false,
    minify: true,
    format: 'iife',
    target: 'es2022',
    outdir: 'out',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const text = (ext: string) => result.outputFiles.find((f) => f.path.endsWith(ext))!.text;
  return { js: text('.js'), css: text('.css') };
}
