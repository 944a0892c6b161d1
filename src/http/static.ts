// The dashboard's files from dist/web (built by scripts/build-web.ts at `npm start`): `/` is
// index.html, `/assets/<name>` the bundles. Anything else is not ours: return false so the
// caller goes on to its other routes and its 404.
import { createReadStream, statSync, type Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fromProjectRoot } from '../project-root.js';

const WEB_ROOT = fromProjectRoot('dist', 'web');
// From the source tree, not the build: GraphiQL, /ws-test and JSON routes ask for it too.
const FAVICON = fromProjectRoot('public', 'favicon.svg');

/** Settings the page reads at /config.json; the bundle is built once, these change per start. */
export interface DashboardSettings {
  mapTileUrl: string; // '' = no tiles
  mapTileAttribution: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

// One path segment of ordinary characters, not starting with a dot: no `..`, no `/`, no
// percent-encoded tricks (they contain `%`), no dotfiles. Nothing outside assets/ can match.
const ASSET = /^\/assets\/([A-Za-z0-9_-][A-Za-z0-9_.-]*)$/;

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>SEANO telemetry</title></head><body style="font-family:system-ui;max-width:40rem;margin:2rem auto;padding:0 1rem">
<h1>SEANO telemetry</h1>
<p>The dashboard is not built. Run <code>npm start</code>, which builds it, or <code>npx tsx scripts/build-web.ts</code>.</p>
<p><a href="/graphql">GraphiQL</a> · <a href="/ws-test">/ws-test</a> · <a href="/api/ws/stats">/api/ws/stats</a></p>
</body></html>`;

/** The paths serveWeb answers: the dashboard's entry in the route table. */
export function isWebPath(pathname: string): boolean {
  return ['/', '/index.html', '/favicon.ico', '/config.json'].includes(pathname) || pathname.startsWith('/assets/');
}

/** Returns true when it answered the request. */
export function serveWeb(req: IncomingMessage, res: ServerResponse, url: URL, settings: DashboardSettings): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (url.pathname === '/config.json') {
    const body = JSON.stringify(settings);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }
  let file: string;
  let immutable = false;
  if (url.pathname === '/' || url.pathname === '/index.html') {
    file = join(WEB_ROOT, 'index.html');
  } else if (url.pathname === '/favicon.ico') {
    file = FAVICON; // an SVG: browsers go by its content type, not the name
  } else {
    const name = ASSET.exec(url.pathname)?.[1];
    if (!name) return false;
    file = join(WEB_ROOT, 'assets', name);
    immutable = /-[A-Z0-9]{8}\./.test(name); // esbuild's content hash: the name changes with the content
  }
  const stat = statFile(file);
  if (!stat) {
    if (url.pathname !== '/') return false;
    res.writeHead(503, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : NOT_BUILT);
    return true;
  }
  const etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
  const headers = {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    // index.html names the current bundles, so it is revalidated on every load.
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    etag,
    'x-content-type-options': 'nosniff',
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  res.writeHead(200, { ...headers, 'content-length': stat.size });
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  createReadStream(file)
    .on('error', () => res.destroy()) // removed mid-rebuild: the browser retries
    .pipe(res);
  return true;
}

function statFile(path: string): Stats | undefined {
  try {
    const s = statSync(path);
    return s.isFile() ? s : undefined;
  } catch {
    return undefined;
  }
}
