// Builds the dashboard (web/) into dist/web/: run by `npm start` (prestart), the Docker image and
// the browser tests, so no bundle is ever committed. Asset names carry a content hash, which lets
// src/http/static.ts cache them for a year while index.html is revalidated on every load.
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
export const WEB_DIST = join(root, 'dist', 'web');

export async function buildWeb(outDir = WEB_DIST): Promise<{ outDir: string; js: string; css: string }> {
  // Build beside the target, then swap: a running server never serves a half-written directory.
  const staging = `${outDir}.tmp-${process.pid}-${Date.now()}`;
  await rm(staging, { recursive: true, force: true });
  try {
    const result = await build({
      entryPoints: [join(root, 'web', 'src', 'main.ts')],
      outdir: join(staging, 'assets'),
      entryNames: '[name]-[hash]',
      bundle: true,
      format: 'esm',
      platform: 'browser',
      // Top-level await (the page reads /config.json before drawing the map): all of these have it.
      target: ['es2022', 'chrome100', 'firefox100', 'safari15'],
      // Leaflet's CSS names a few images (layer icons): bundled beside it, never fetched elsewhere.
      loader: { '.png': 'file', '.svg': 'file' },
      assetNames: '[name]-[hash]',
      minify: true,
      sourcemap: 'linked',
      // graphql-js checks NODE_ENV for its dev-only realm warnings; browsers have no `process`.
      define: { 'process.env.NODE_ENV': '"production"' },
      metafile: true,
      logLevel: 'silent',
    });
    const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
    const js = outputs.find((f) => f.startsWith('main-') && f.endsWith('.js'));
    const css = outputs.find((f) => f.startsWith('main-') && f.endsWith('.css'));
    if (!js || !css) throw new Error(`esbuild produced no ${js ? 'CSS' : 'JavaScript'} bundle`);
    const html = (await readFile(join(root, 'web', 'index.html'), 'utf8'))
      .replace('%MAIN_JS%', `/assets/${js}`)
      .replace('%MAIN_CSS%', `/assets/${css}`);
    await writeFile(join(staging, 'index.html'), html);
    await cp(join(root, 'public', 'favicon.svg'), join(staging, 'assets', 'favicon.svg'));
    await mkdir(join(outDir, '..'), { recursive: true });
    // Two builds at once (`npm start` during `npm test`) can both get here: the later one wins.
    for (let attempt = 0; ; attempt++) {
      await rm(outDir, { recursive: true, force: true });
      try {
        await rename(staging, outDir);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (attempt >= 3 || (code !== 'ENOTEMPTY' && code !== 'EEXIST')) throw err;
      }
    }
    return { outDir, js, css };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  buildWeb().then(
    ({ outDir, js }) => console.log(`dashboard built into ${outDir} (${js}) in ${Date.now() - started} ms`),
    (err: Error) => {
      console.error(`dashboard build failed: ${err.message}`);
      process.exit(1);
    },
  );
}
