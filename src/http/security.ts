// Headers for what a browser renders. Every response: nosniff, no framing, no Referer (the
// dashboard is opened as /?token=…, and a Referer would carry that to tile servers). Pages
// (dashboard, /ws-test, GraphiQL) also get a Content-Security-Policy allowing only this service,
// the inline scripts each page was shipped with (by hash, never 'unsafe-inline') and the map's
// tile server for images.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const BASE_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  // Not a page: nothing may load or frame it. Pages replace this with pageSecurity's policy.
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

export function setBaseHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(BASE_HEADERS)) res.setHeader(name, value);
}

/** Where the page may load images from besides itself: the scheme and host of MAP_TILE_URL. */
export function tileSource(mapTileUrl: string): string | undefined {
  // `{s}` is a subdomain placeholder (a.tile…, b.tile…): a host wildcard in CSP.
  const m = /^(https?:\/\/)([^/?#]+)/.exec(mapTileUrl);
  if (!m) return undefined;
  const host = m[2]!.replace(/\{[a-z]+\}/gi, '*');
  return /^(\*\.)?[A-Za-z0-9.-]+(:\d+)?$/.test(host) ? `${m[1]}${host}` : undefined;
}

/** sha256 sources for the inline <script> blocks of a page, so exactly those may run. */
export function inlineScriptHashes(html: string): string[] {
  const hashes = new Set<string>();
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (/\ssrc\s*=/i.test(m[1]!) || m[2]!.length === 0) continue;
    hashes.add(`'sha256-${createHash('sha256').update(m[2]!).digest('base64')}'`);
  }
  return [...hashes];
}

export interface PagePolicy {
  /** From inlineScriptHashes: the page's own inline scripts. */
  scriptHashes?: readonly string[];
  /** Extra image sources (the tile server). */
  imageSources?: readonly string[];
}

/** The Content-Security-Policy of one page. */
export function pagePolicy(req: IncomingMessage, p: PagePolicy): string {
  // 'self' covers ws:/wss: of the same host in CSP 3; older engines need them spelled out.
  const host = /^[A-Za-z0-9.[\]:-]{1,255}$/.test(req.headers.host ?? '') ? req.headers.host : undefined;
  const sockets = host ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    `script-src 'self'${(p.scriptHashes ?? []).map((h) => ` ${h}`).join('')}`,
    // Styles inline are the pages' own (GraphiQL's editor injects <style> elements); CSS cannot run code.
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob:${(p.imageSources ?? []).map((s) => ` ${s}`).join('')}`,
    "font-src 'self' data:",
    `connect-src 'self'${sockets}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * GraphiQL's page (@graphql-yoga/render-graphiql) carries everything inline: one script (by
 * hash), styles, fonts and icons as data:, Monaco's workers from blob: URLs that script makes.
 * It talks to /graphql only (queries and SSE subscriptions), so nothing else is allowed.
 */
export function graphiqlPolicy(scriptHashes: readonly string[]): string {
  return [
    "default-src 'self'",
    `script-src ${scriptHashes.length > 0 ? scriptHashes.join(' ') : "'none'"}`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    'font-src data:',
    "connect-src 'self'",
    'worker-src blob:',
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function setPageHeaders(req: IncomingMessage, res: ServerResponse, p: PagePolicy): void {
  setBaseHeaders(res);
  res.setHeader('content-security-policy', pagePolicy(req, p));
}
