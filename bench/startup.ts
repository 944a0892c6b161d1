// startup: what `npm start` runs, beside a bare mqtt + ws process. The service started compiled
// (node dist/main.js) and under tsx (as `npm start` did before the build), each on a scratch
// database of the machine's PostgreSQL and the bench's broker: seconds from spawn to listening,
// and RSS once settled, with no client connected. The bare process (bench/bare-relay.mjs) is an
// MQTT subscriber and a ws server and nothing else: the least a process doing this job holds.
import { createScratchDatabase } from '../test/utils/backends.js';
import { spawnService } from '../test/utils/child.js';
import { bareRelayPath } from './latency.js';
import { DB_URL, progress, rssOf, track } from './lib.js';

const SETTLE_MS = 2_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function started(args: string[], mqttUrl: string) {
  const db = await createScratchDatabase(DB_URL);
  try {
    const t0 = performance.now();
    const svc = await spawnService({ DATABASE_URL: db.url, MQTT_URL: mqttUrl, MQTT_TOPIC_PREFIX: `startup-${process.pid}` }, args);
    track(svc.child);
    const seconds = (performance.now() - t0) / 1000;
    await sleep(SETTLE_MS);
    const rss = await rssOf(svc.child.pid!);
    svc.child.kill('SIGTERM');
    await svc.exited;
    return { start_seconds: Number(seconds.toFixed(2)), rss_after_start_mb: mb(rss) };
  } finally {
    await db.drop();
  }
}

const mb = (bytes: number) => Number((bytes / 2 ** 20).toFixed(1));

export async function benchStartup(mqttUrl: string) {
  progress('startup: the service compiled (node dist/main.js)');
  const compiled = await started(['dist/main.js'], mqttUrl);
  progress('startup: the service under tsx (node --import tsx src/main.ts)');
  const tsx = await started(['--import', 'tsx', 'src/main.ts'], mqttUrl);
  const bare = await bareRelayPath(mqttUrl);
  await sleep(SETTLE_MS);
  const bareRss = mb(await rssOf(bare.pid));
  await bare.stop();
  return {
    compiled,
    tsx,
    bare_mqtt_ws_rss_after_start_mb: bareRss,
    // The service's RSS after start over the bare process's (target ≤ 1.8).
    rss_ratio: Number((compiled.rss_after_start_mb / bareRss).toFixed(2)),
  };
}
