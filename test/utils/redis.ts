// Redis for the tests that need one: the machine's when TEST_REDIS_URL is set (CI sets it),
// else a private redis-server.
import { freePort, spawnReady } from './process.js';

export async function redisUrl(): Promise<string> {
  if (process.env.TEST_REDIS_URL) return process.env.TEST_REDIS_URL;
  const port = await freePort();
  await spawnReady('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], /Ready to accept connections/);
  return `redis://127.0.0.1:${port}`;
}
