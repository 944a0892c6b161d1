// The pages a browser opens besides GraphiQL: the dashboard (static.ts) and the legacy test
// client /ws-test, each with its Content-Security-Policy (security.ts).
import { readFileSync } from 'node:fs';
import { fromProjectRoot } from '../project-root.js';
import { HttpError } from './errors.js';
import type { Route } from './routes.js';
import { inlineScriptHashes, setPageHeaders, tileSource } from './security.js';
import { isWebPath, serveWeb, type DashboardSettings } from './static.js';

// The legacy test client (SPEC's /ws-test): one self-contained file with its script inline.
const wsTestPage = readFileSync(fromProjectRoot('public', 'ws-test.html'));
const wsTestScripts = inlineScriptHashes(wsTestPage.toString('utf8'));

export function pageRoutes(settings: DashboardSettings): Route[] {
  const tiles = tileSource(settings.mapTileUrl);
  const imageSources = tiles ? [tiles] : [];
  return [
    {
      method: 'GET',
      path: '/ws-test',
      handle: (req, res) => {
        setPageHeaders(req, res, { scriptHashes: wsTestScripts });
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(req.method === 'HEAD' ? undefined : wsTestPage);
      },
    },
    {
      method: 'GET',
      path: isWebPath,
      handle: (req, res, url) => {
        // The bundles are files of their own: the dashboard has no inline script to allow.
        setPageHeaders(req, res, { imageSources });
        if (!serveWeb(req, res, url, settings)) throw new HttpError(404, 'Not Found');
      },
    },
  ];
}
