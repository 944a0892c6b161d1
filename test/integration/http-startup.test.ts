// Start-up fails in one line, naming the setting to change, before anything slow: the service
// as its own process (`node --import tsx src/main.ts`), as an operator starts it.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnService } from '../utils/child.js';
import { disposeLeftovers, leave } from '../utils/leftovers.js';

/** Holds a port as another program would (a local Mosquitto on 1883, another service on 8000). */
async function holdPort(): Promise<{ port: number; server: Server }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  leave(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as { port: number }).port, server };
}

/** The one line start-up ended with, and the exit code. */
async function failedStart(env: Record<string, string>): Promise<{ code: string; output: string }> {
  const err: Error = await spawnService(env).then(
    () => new Error('the service started'),
    (e: Error) => e,
  );
  const m = /^service exited with (\S+): ([\s\S]*)$/.exec(err.message);
  expect(m, err.message).not.toBeNull();
  return { code: m![1]!, output: m![2]! };
}

describe('start-up failures', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'seano-startup-'));
  });
  afterAll(async () => {
    await disposeLeftovers();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('names the broker already on MQTT_EMBEDDED_PORT, before the embedded database opens', async () => {
    const { port } = await holdPort();
    const { code, output } = await failedStart({ DATA_DIR: dataDir, MQTT_EMBEDDED_PORT: String(port) });
    expect(code).toBe('1');
    expect(output).toContain(`a broker already listens on ${port}: set MQTT_URL=mqtt://127.0.0.1:${port} to use it, or MQTT_EMBEDDED_PORT`);
    expect(output.trim().split('\n').filter((l) => l.startsWith('seano-telemetry:'))).toHaveLength(1);
    // Checked first: the embedded database was never opened.
    expect(existsSync(join(dataDir, 'pglite'))).toBe(false);
  });

  it('names PORT when the HTTP port is taken, before the embedded database opens', async () => {
    const { port } = await holdPort();
    const { code, output } = await failedStart({ DATA_DIR: dataDir, PORT: String(port), MQTT_EMBEDDED_PORT: '0' });
    expect(code).toBe('1');
    expect(output).toContain(`port ${port} is already in use; set PORT to a free port`);
    expect(existsSync(join(dataDir, 'pglite'))).toBe(false);
  });

  it.each([
    [' ', /AUTH_JWT_SECRET=\(hidden\): is blank/],
    ['too-short', /AUTH_JWT_SECRET=\(hidden\): must be at least 32 bytes/],
  ])('refuses AUTH_JWT_SECRET=%j in one line instead of running without auth', async (secret, line) => {
    const { code, output } = await failedStart({ DATA_DIR: dataDir, AUTH_JWT_SECRET: secret });
    expect(code).toBe('1');
    expect(output).toMatch(line);
    expect(output).not.toContain(secret.trim() || '\u0000');
  });
});
