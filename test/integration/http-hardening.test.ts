// The HTTP edge under hostile clients (issue 12): bodies refused from their headers before they
// are read, slow senders cut off, per-address limits keyed on X-Forwarded-For behind a trusted
// proxy, the token's claims checked, /metrics behind the token, and the pages' security headers.
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { backends } from '../utils/backends.js';
import { startService, type TestService } from '../utils/service.js';
import { openLegacy } from '../utils/clients.js';
import { disposeLeftovers } from '../utils/leftovers.js';

const SECRET = 'http-hardening-secret-of-32-bytes-or-more';
const AUDIENCE = 'seano-telemetry';
const ISSUER = 'seano-ops';
const sign = (claims: Record<string, unknown>, o: { audience?: string; issuer?: string } = { audience: AUDIENCE, issuer: ISSUER }) => {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('10m');
  if (o.audience) jwt.setAudience(o.audience);
  if (o.issuer) jwt.setIssuer(o.issuer);
  return jwt.sign(new TextEncoder().encode(SECRET));
};

/** A raw TCP client: what it received, and a promise of its close. */
function rawClient(port: number): { socket: Socket; received: () => string; closed: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  let data = '';
  socket.on('data', (d) => (data += d.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, received: () => data, closed };
}

describe('HTTP edge hardening', () => {
  let svc: TestService;
  let token: string;

  beforeAll(async () => {
    svc = await startService(backends[0]!, {
      AUTH_JWT_SECRET: SECRET,
      AUTH_JWT_AUDIENCE: AUDIENCE,
      AUTH_JWT_ISSUER: ISSUER,
      HTTP_HEADERS_TIMEOUT_SECONDS: '1',
      HTTP_REQUEST_TIMEOUT_SECONDS: '2',
      TRUST_PROXY: 'loopback', // the test client plays the proxy
      WS_MAX_CONNECTIONS_PER_IP: '2',
    });
    token = await sign({});
  });
  afterAll(disposeLeftovers);

  const stats = (authorization?: string) => fetch(`${svc.httpUrl}/api/ws/stats`, { headers: authorization ? { authorization } : {} });
  const query = (body: BodyInit, headers: Record<string, string> = {}) =>
    fetch(`${svc.httpUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('refuses a 20 MB body without a token from its headers, then answers a normal request', async () => {
    const big = Buffer.alloc(20 * 1024 * 1024, ' ');
    const refused = await query(big);
    expect([401, 413]).toContain(refused.status);
    expect((await refused.json()).errors[0].extensions.code).toMatch(/UNAUTHENTICATED|PAYLOAD_TOO_LARGE/);
    // Over HTTP_MAX_BODY_BYTES even with a token: 413 naming the setting.
    const tooLarge = await query(big, { authorization: `Bearer ${token}` });
    expect(tooLarge.status).toBe(413);
    expect((await tooLarge.json()).errors[0].message).toContain('HTTP_MAX_BODY_BYTES');
    const ok = await query(JSON.stringify({ query: '{ stats { messagesStored } }' }), { authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    expect((await ok.json()).data.stats.messagesStored).toBeGreaterThanOrEqual(0);
  });

  it('answers 401 to a tokenless POST before its body is sent', async () => {
    const client = rawClient(svc.app.port);
    // Headers announcing half a megabyte, and not one byte of it: the answer comes anyway.
    client.socket.write(`POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500000\r\n\r\n`);
    await client.closed;
    expect(client.received()).toMatch(/^HTTP\/1\.1 401 /);
    expect(client.received()).toMatch(/connection: close/i);
  });

  it('closes a socket that sends its headers too slowly (slowloris), and one that sends its body too slowly', async () => {
    const headers = rawClient(svc.app.port);
    headers.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => headers.socket.write('X-Slow: 1\r\n'), 200);
    await headers.closed;
    clearInterval(drip);
    expect(headers.received()).not.toContain('"status":"ok"');

    const body = rawClient(svc.app.port);
    body.socket.write(`POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
    const bodyDrip = setInterval(() => body.socket.write(' '), 200);
    await body.closed;
    clearInterval(bodyDrip);
    expect(body.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect((await fetch(`${svc.httpUrl}/healthz`)).status).toBe(200);
  });

  it('keys the per-address socket limit on X-Forwarded-For behind a trusted proxy', async () => {
    const from = (address: string) => openLegacy(`${svc.wsUrl}/api/ws?token=${token}`, { headers: { 'x-forwarded-for': address } });
    const first = [await from('203.0.113.7'), await from('203.0.113.7')];
    await expect(from('203.0.113.7')).rejects.toMatchObject({ status: 429 });
    // Another client behind the same proxy is not locked out by the first one's sockets.
    const other = await from('198.51.100.20');
    for (const c of [...first, other]) c.close();
    await Promise.all([...first, other].map((c) => c.closed));
  });

  it('checks audience, issuer and the vehicles claim: a bad token is 401, never a 500', async () => {
    expect((await stats(`Bearer ${token}`)).status).toBe(200);
    const wrong = [
      await sign({}, { audience: 'another-service', issuer: ISSUER }),
      await sign({}, { audience: AUDIENCE }),
      await sign({ vehicles: [0] }),
      await sign({ vehicles: [2147483648] }),
      await sign({ vehicles: ['1'] }),
    ];
    for (const bad of wrong) {
      expect((await stats(`Bearer ${bad}`)).status).toBe(401);
      expect((await query(JSON.stringify({ query: '{ vehicles { id } }' }), { authorization: `Bearer ${bad}` })).status).toBe(401);
      await expect(openLegacy(`${svc.wsUrl}/api/ws/vehicle/1?token=${bad}`)).rejects.toMatchObject({ status: 401 });
    }
  });

  it('serves /metrics only with a token when auth is on', async () => {
    expect((await fetch(`${svc.httpUrl}/metrics`)).status).toBe(401);
    const ok = await fetch(`${svc.httpUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('seano_messages_received_total');
  });

  it('sends CSP, no framing and nosniff with the pages, allowing exactly their inline scripts', async () => {
    const pages = [
      await fetch(`${svc.httpUrl}/`),
      await fetch(`${svc.httpUrl}/ws-test`),
      await fetch(`${svc.httpUrl}/graphql`, { headers: { accept: 'text/html' } }),
    ];
    for (const page of pages) {
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(page.headers.get('content-type'), page.url).toMatch(/^text\/html/);
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toMatch(/default-src 'self'/);
      expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
      const html = await page.text();
      for (const [, attributes, script] of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
        if (/\ssrc\s*=/i.test(attributes!) || !script) continue;
        expect(csp, `${page.url}: an inline script the policy would block`).toContain(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
      }
    }
    // Map tiles come from the tile server's host (MAP_TILE_URL's default).
    expect(pages[0]!.headers.get('content-security-policy')).toMatch(/img-src[^;]*https:\/\/tile\.openstreetmap\.org/);
    // JSON answers cannot be framed or sniffed either.
    const json = await fetch(`${svc.httpUrl}/healthz`);
    expect(json.headers.get('x-content-type-options')).toBe('nosniff');
    expect(json.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });
});
