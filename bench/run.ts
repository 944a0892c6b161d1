// `npm run bench`: one JSON object, every figure measured in this run on this machine.
import { cpus } from 'node:os';
import { benchIngest, benchIngestCeiling } from './ingest.js';
import { startMosquitto } from '../test/utils/mosquitto.js';

const total = Number(process.env.BENCH_MESSAGES ?? 20_000);
const broker = await startMosquitto();
const ceiling = await benchIngestCeiling(broker.url, total);
const ingest = await benchIngest(broker.url, total);
await broker.dispose();
console.log(
  JSON.stringify(
    {
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      ingest_ceiling: ceiling,
      ingest,
      ingest_ratio: Number((ingest.rate / ceiling.rate).toFixed(2)),
    },
    null,
    2,
  ),
);
process.exit(0);
