// Pure pieces of the HTTP edge: whose address a request is (TRUST_PROXY), which status an error
// becomes, where the pages may load map tiles from.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConnectionException } from '@mikro-orm/core';
import { AuthError } from '../../src/auth/tokens.js';
import { DatabaseUnavailable } from '../../src/db/export-readers.js';
import { HttpError, badRequest, statusOf } from '../../src/http/errors.js';
import { inlineScriptHashes, tileSource } from '../../src/http/security.js';
import { clientAddressResolver } from '../../src/sockets/limits.js';

const request = (remoteAddress: string, forwardedFor?: string) =>
  ({ socket: { remoteAddress }, connection: { remoteAddress }, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} }) as unknown as IncomingMessage;

describe('clientAddressResolver', () => {
  it('takes the socket address and ignores X-Forwarded-For without TRUST_PROXY', () => {
    expect(clientAddressResolver(undefined)(request('10.0.0.5', '203.0.113.7'))).toBe('10.0.0.5');
  });

  it('with a hop count, takes the entry the trusted proxies added, not what the client wrote', () => {
    // The client claims 1.2.3.4; nginx appends the address it saw (203.0.113.7).
    const req = request('10.0.0.5', '1.2.3.4, 203.0.113.7');
    expect(clientAddressResolver({ hops: 1 })(req)).toBe('203.0.113.7');
    expect(clientAddressResolver({ hops: 2 })(req)).toBe('1.2.3.4');
  });

  it('with addresses, walks back only through trusted proxies', () => {
    const trust = clientAddressResolver({ addresses: ['10.0.0.0/8'] });
    expect(trust(request('10.0.0.5', '1.2.3.4, 203.0.113.7, 10.1.1.1'))).toBe('203.0.113.7');
    // Not from a trusted proxy: its X-Forwarded-For is the client's own word, ignored.
    expect(trust(request('198.51.100.9', '203.0.113.7'))).toBe('198.51.100.9');
  });
});

describe('statusOf', () => {
  it.each([
    [new AuthError('missing token'), 401],
    [new AuthError('outside scope', 403), 403],
    [badRequest('vehicle_id must be 1..2147483647'), 400],
    [new HttpError(413, 'too large'), 413],
    [new DatabaseUnavailable('no connection'), 503],
    [new ConnectionException(new Error('ECONNREFUSED')), 503],
    [new TypeError('a bug'), 500],
    ['not even an error', 500],
  ])('%s → %i', (err, status) => {
    expect(statusOf(err)).toBe(status);
  });
});

describe('page policy pieces', () => {
  it('allows the tile server by scheme and host, {s} subdomains as a wildcard', () => {
    expect(tileSource('https://tile.openstreetmap.org/{z}/{x}/{y}.png')).toBe('https://tile.openstreetmap.org');
    expect(tileSource('https://{s}.tile.example:8443/{z}/{x}/{y}.png')).toBe('https://*.tile.example:8443');
    expect(tileSource('')).toBeUndefined();
    expect(tileSource("https://evil.example'; script-src *")).toBeUndefined();
  });

  it('hashes inline scripts only, each once', () => {
    const html = '<script src="/a.js"></script><script>run()</script><script type="module">run()</script><script></script>';
    expect(inlineScriptHashes(html)).toEqual(["'sha256-AvyuiL0SD1mVY3NNxR+V2uo+lhk6RMFrytWmRt6CrJQ='"]);
  });
});
