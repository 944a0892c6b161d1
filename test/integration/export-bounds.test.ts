// Export bounds (issue 12) over real HTTP: a client that stops reading loses its export after
// EXPORT_IDLE_TIMEOUT_SECONDS and its slot goes to the next one; an export ends when its token
// expires; one client (a token subject, or an address) gets its share of slots, not all of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT } from 'jose';
import { backends } from '../utils/backends.js';
import { disposeLeftovers, leave } from '../utils/leftovers.js';
import { startService, type TestService } from '../utils/service.js';
import { sql } from '../utils/wait.js';

const SECRET = 'test-secret-that-is-long-enough-for-hs256';
const BIG = 9; // a vessel with far more rows than the sockets between client and service buffer
const SMALL = 1;

async function token(claims: { sub?: string; exp?: number } = {}): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(claims.exp ?? '10m');
  if (claims.sub !== undefined) jwt.setSubject(claims.sub);
  return jwt.sign(new TextEncoder().encode(SECRET));
}

interface Download {
  status: number;
  res: IncomingMessage;
  req: ClientRequest;
}

/** GET the export; resolves with the response once its head is in. */
function download(svc: TestService, vehicleId: number, jwt: string, localAddress?: string): Promise<Download> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${svc.httpUrl}/api/logs/export?vehicle_id=${vehicleId}&format=csv`, {
      headers: { authorization: `Bearer ${jwt}` },
      localAddress,
    });
    leave(() => void req.destroy());
    req.once('response', (res) => {
      res.on('error', () => {}); // a cut response: seen as `complete: false` once read
      resolve({ status: res.statusCode!, res, req });
    });
    req.once('error', reject);
  });
}

/** A reader that took its first bytes and then stopped reading. */
async function stalled(d: Download): Promise<Download> {
  expect(d.status).toBe(200);
  await once(d.res, 'data');
  d.res.pause();
  return d;
}

/** Reads on until the response ends, whole or cut; `gapMs` between chunks reads slowly. */
async function readToEnd(res: IncomingMessage, gapMs = 0): Promise<{ bytes: number; body: string; complete: boolean }> {
  let bytes = 0;
  const parts: Buffer[] = [];
  res.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (parts.length < 4) parts.push(chunk);
    if (gapMs) {
      res.pause();
      setTimeout(() => res.resume(), gapMs);
    }
  });
  res.resume();
  // Not events.once: it rejects on the 'error' that a cut response emits before 'close'.
  if (!res.closed) await new Promise((resolve) => res.once('close', resolve));
  return { bytes, body: Buffer.concat(parts).toString(), complete: res.complete };
}

async function seed(svc: TestService): Promise<void> {
  // ~30 MB of CSV for BIG: more than the client's and the service's socket buffers together hold
  // while the client is not reading, so the service really waits on the client.
  await sql(
    svc,
    `insert into log (id, vehicle_id, type, timestamp, received_at, message)
     select nextval('log_id_seq'), ${BIG}, 'raw_log', now(), now(), repeat('x', 1500) from generate_series(1, 20000)`,
  );
  await sql(svc, `insert into log (id, vehicle_id, type, timestamp, received_at, message) values (nextval('log_id_seq'), ${SMALL}, 'raw_log', now(), now(), 'small')`);
}

describe.each(backends)('export bounds on $name', (backend) => {
  describe('one slot, idle timeout 1 s', () => {
    const IDLE_SECONDS = 1;
    let svc: TestService;
    beforeAll(async () => {
      svc = await startService(backend, {
        AUTH_JWT_SECRET: SECRET, EXPORT_MAX_CONCURRENT: '1', EXPORT_MAX_PER_CLIENT: '1', EXPORT_IDLE_TIMEOUT_SECONDS: String(IDLE_SECONDS),
      });
      await seed(svc);
    });
    afterAll(disposeLeftovers);

    it('cuts off a reader that stopped taking bytes, and gives its slot to the next export', async () => {
      const slow = await stalled(await download(svc, BIG, await token({ sub: 'slow' })));
      const other = await token({ sub: 'other' });
      const refused = await download(svc, SMALL, other);
      expect(refused.status).toBe(503); // the one slot is the stalled reader's
      expect(refused.res.headers['retry-after']).toBeDefined();
      await readToEnd(refused.res);
      // A client that is not reading cannot see its connection being reset until it reads again,
      // so there is no event to wait on here: the condition under test is the time itself.
      await sleep(IDLE_SECONDS * 3000);
      const next = await download(svc, SMALL, other);
      expect(next.status).toBe(200);
      const whole = await readToEnd(next.res);
      expect(whole).toMatchObject({ complete: true });
      expect(whole.body).toContain(',small,');
      // The stalled reader, reading again, finds its download cut short: never taken for whole.
      const cut = await readToEnd(slow.res);
      expect(cut.complete).toBe(false);
    });

    it('ends an export when its token expires, also while the client is still reading', async () => {
      const exp = Math.floor(Date.now() / 1000) + 2;
      const expiring = await download(svc, BIG, await token({ sub: 'expiring', exp }));
      expect(expiring.status).toBe(200);
      const read = await readToEnd(expiring.res, 20); // ~3 MB/s: the whole file would take 10 s
      expect(read.bytes).toBeGreaterThan(0);
      expect(read.complete).toBe(false);
      expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000 - 50);
      // and the slot is free again for a valid token
      const after = await download(svc, SMALL, await token({ sub: 'expiring' }));
      expect(after.status).toBe(200);
      expect(await readToEnd(after.res)).toMatchObject({ complete: true });
    });
  });

  describe('three slots, one per client', () => {
    let svc: TestService;
    beforeAll(async () => {
      svc = await startService(backend, { AUTH_JWT_SECRET: SECRET, EXPORT_MAX_CONCURRENT: '3', EXPORT_MAX_PER_CLIENT: '1' });
      await seed(svc);
    });
    afterAll(disposeLeftovers);

    it('keeps one client (token subject, else address) to its share, leaving slots for others', async () => {
      const a = await token({ sub: 'analyst-a' });
      await stalled(await download(svc, BIG, a));
      const second = await download(svc, SMALL, a);
      expect(second.status).toBe(429);
      expect(JSON.parse((await readToEnd(second.res)).body).error).toContain('EXPORT_MAX_PER_CLIENT');

      // Tokens naming no subject share by address.
      const anonymous = await token();
      await stalled(await download(svc, BIG, anonymous, '127.0.0.1'));
      expect((await download(svc, SMALL, anonymous, '127.0.0.1')).status).toBe(429);
      const elsewhere = await stalled(await download(svc, BIG, anonymous, '127.0.0.2'));

      // Three running: the total holds whatever the share.
      const b = await download(svc, SMALL, await token({ sub: 'analyst-b' }));
      expect(b.status).toBe(503);
      await readToEnd(b.res);
      // A stalled export within the idle timeout goes on when its client reads again.
      expect(await readToEnd(elsewhere.res)).toMatchObject({ complete: true });
    });
  });
});
