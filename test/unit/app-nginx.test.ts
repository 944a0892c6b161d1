// The shipped nginx (docker compose --profile scale): what it writes to its logs and what it
// tells the service about the client.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const conf = readFileSync(new URL('../../nginx/nginx.conf', import.meta.url), 'utf8').replace(/#.*$/gm, '');
const directives = (name: string) => [...conf.matchAll(new RegExp(`^\\s*${name}\\s+([^;]+);`, 'gm'))].map((m) => m[1]!.trim());

describe('nginx/nginx.conf', () => {
  it('logs requests without their query strings (no ?token=) and without Referer', () => {
    const formats = directives('log_format');
    expect(formats).toHaveLength(1);
    const [name, ...format] = formats[0]!.split(/\s+/);
    for (const leak of ['$request ', '$request"', '$request_uri', '$args', '$query_string', '$is_args', '$arg_', '$http_referer']) {
      expect(`${format.join(' ')} `, leak).not.toContain(leak);
    }
    expect(format.join(' ')).toContain('$uri');
    // Every access log uses that format; none falls back to nginx's `combined` ($request).
    const logs = directives('access_log');
    expect(logs.length).toBeGreaterThan(0);
    for (const log of logs) expect(log === 'off' || log.split(/\s+/)[1] === name, log).toBe(true);
    // Error lines quote the request line: only `crit` and above, which never carry one.
    for (const log of directives('error_log')) expect(log.split(/\s+/)[1]).toMatch(/^(crit|alert|emerg)$/);
  });

  it('passes the client address on in X-Forwarded-For', () => {
    expect(conf).toMatch(/proxy_set_header\s+X-Forwarded-For\s+\$proxy_add_x_forwarded_for;/);
  });
});
