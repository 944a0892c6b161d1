// The README runs: every shell and TypeScript block of README.md is run against a started
// service, with the README's `localhost:8000` replaced by the service's address and
// `mosquitto_pub` pointed at its broker. TypeScript blocks are type-checked (tsc, the project's
// settings) and then executed (tsx). A block fails when it exits non-zero, writes to stderr or
// prints a GraphQL error. Meanwhile two simulated vessels publish, so queries and streams have
// data, as they would with `npm run simulate` running.
//
// A block that cannot run here carries a marker, an HTML comment right before it:
//   <!-- readme-test: skip (why) -->       not run
//   <!-- readme-test: stream 5s (why) -->  meant to run until stopped: still running after 5 s,
//                                          with nothing on stderr, is success
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng, createVessel, nextMessage, stepVessel, topicOf } from '../scripts/simulator/vessel.js';
import { backends } from './utils/backends.js';
import { startService, type TestService } from './utils/service.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const README = join(ROOT, 'README.md');
const LANGUAGES: Record<string, 'shell' | 'ts'> = { sh: 'shell', bash: 'shell', shell: 'shell', ts: 'ts', typescript: 'ts' };

type Marker = { kind: 'run' } | { kind: 'skip'; why: string } | { kind: 'stream'; seconds: number; why: string };
interface Block {
  /** README line of the opening fence (1-based); the code starts on the next line. */
  line: number;
  language: 'shell' | 'ts';
  code: string;
  marker: Marker;
}

/** The runnable blocks of a Markdown text, each with the marker before it. */
export function readmeBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  let pending: { marker: Marker; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    if (text.trimStart().startsWith('<!-- readme-test')) {
      pending = { marker: parseMarker(text, i + 1), line: i + 1 };
      continue;
    }
    const fence = /^```(\S*)\s*$/.exec(text);
    if (!fence) {
      if (pending && text.trim() !== '') throw new Error(`README.md:${pending.line}: a readme-test marker must come right before a code block`);
      continue;
    }
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`README.md:${i + 1}: code block never closed`);
    const language = LANGUAGES[fence[1]!];
    if (language) blocks.push({ line: i + 1, language, code: lines.slice(i + 1, end).join('\n'), marker: pending?.marker ?? { kind: 'run' } });
    else if (pending) throw new Error(`README.md:${pending.line}: a readme-test marker before a ${fence[1] || 'plain'} block, which is never run`);
    pending = undefined;
    i = end;
  }
  return blocks;
}

function parseMarker(text: string, line: number): Marker {
  const skip = /^\s*<!-- readme-test: skip \((.+)\) -->\s*$/.exec(text);
  if (skip) return { kind: 'skip', why: skip[1]! };
  const stream = /^\s*<!-- readme-test: stream (\d+)s \((.+)\) -->\s*$/.exec(text);
  if (stream) return { kind: 'stream', seconds: Number(stream[1]), why: stream[2]! };
  throw new Error(`README.md:${line}: unknown marker ${text.trim()}; use "skip (why)" or "stream Ns (why)"`);
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Still running when its stream time was up (and then stopped). */
  streaming: boolean;
}

/** Process groups still running: a block whose test timed out is killed at the end. */
const running = new Set<number>();
const killGroup = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
};

/** Runs a command in its own process group; with `streamSeconds`, stops the group after that long. */
function run(command: string, args: string[], o: { cwd: string; env: NodeJS.ProcessEnv; streamSeconds?: number }): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: o.cwd, env: o.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let streaming = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    running.add(child.pid!);
    const group = (signal: NodeJS.Signals) => killGroup(child.pid!, signal);
    const stopAt = o.streamSeconds
      ? setTimeout(() => {
          streaming = true;
          group('SIGTERM');
          setTimeout(() => group('SIGKILL'), 5_000).unref();
        }, o.streamSeconds * 1000)
      : undefined;
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(stopAt);
      group('SIGKILL'); // anything the block left in the background
      running.delete(child.pid!);
      resolve({ code, stdout, stderr, streaming });
    });
  });
}

const blocks = readmeBlocks(readFileSync(README, 'utf8'));
const tsFile = (b: Block) => `block-${b.line}.ts`;

let service: TestService;
let work: string; // inside the repository, so the blocks' imports resolve; test-results/ is not committed
/** tsc's errors by the README line of their block's fence; 0: errors outside any block. */
const typeErrors = new Map<number, string[]>();
let env: NodeJS.ProcessEnv;
let shellPrelude: string;
let fleet: NodeJS.Timeout | undefined;

/** The README as run here: its service address replaced by the test service's. */
const localise = (code: string) => code.replaceAll('localhost:8000', service.httpUrl.replace(/^http:\/\//, ''));

/** Two simulated vessels (ids 1 and 2, the ones the README asks about), a message every 100 ms. */
async function startFleet(mqtt: MqttClient): Promise<void> {
  const vessels = [1, 2].map((id) => {
    const rng = createRng(id);
    return { rng, vessel: createVessel(id, rng) };
  });
  fleet = setInterval(() => {
    for (const { vessel, rng } of vessels) {
      stepVessel(vessel, 0.1, rng);
      const msg = nextMessage(vessel, new Date(), rng);
      void mqtt.publishAsync(topicOf(service.prefix, msg), msg.payload, { qos: 1 }).catch(() => {});
    }
  }, 100);
}

beforeAll(async () => {
  service = await startService(backends[0]!, { ALERT_RULES_FILE: join(ROOT, 'examples/alert-rules.yaml') });
  await startFleet(await service.publisher());
  await mkdir(join(ROOT, 'test-results'), { recursive: true });
  work = await mkdtemp(join(ROOT, 'test-results', 'readme-'));
  const mqtt = new URL(service.app.mqttUrl);
  // npm's notices go to stderr, which a block must leave empty.
  env = { ...process.env, MQTT_URL: service.app.mqttUrl, MQTT_TOPIC_PREFIX: service.prefix, npm_config_update_notifier: 'false' };
  shellPrelude = `set -e\nmosquitto_pub() { command mosquitto_pub -h ${mqtt.hostname} -p ${mqtt.port} "$@"; }\n`;

  const typescript = blocks.filter((b) => b.language === 'ts' && b.marker.kind !== 'skip');
  for (const b of typescript) await writeFile(join(work, tsFile(b)), `${localise(b.code)}\nexport {};\n`); // a module each
  await writeFile(join(work, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.json', include: ['*.ts'] }));
  const tsc = await run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(work, 'tsconfig.json'), '--pretty', 'false'], { cwd: work, env });
  for (const error of tsc.stdout.split('\n').filter(Boolean)) {
    // "block-178.ts(5,3): error TS2304: …" → "README.md:183:3: error TS2304: …"
    const at = /^block-(\d+)\.ts\((\d+),(\d+)\)/.exec(error);
    const fence = at ? Number(at[1]) : 0;
    const shown = at ? `README.md:${fence + Number(at[2])}:${at[3]}${error.slice(at[0].length)}` : error;
    typeErrors.set(fence, [...(typeErrors.get(fence) ?? []), shown]);
  }
}, 120_000);

afterAll(async () => {
  clearInterval(fleet);
  for (const pid of running) killGroup(pid, 'SIGKILL');
  await service?.stop();
  if (work) await rm(work, { recursive: true, force: true });
}, 60_000);

function expectClean(b: Block, out: Outcome): void {
  const what = `README.md:${b.line}\n--- stdout\n${out.stdout.slice(-3000)}\n--- stderr\n${out.stderr.slice(-3000)}`;
  if (!out.streaming) expect(out.code, what).toBe(0);
  expect(out.stderr, what).toBe('');
  expect(out.stdout, what).not.toMatch(/"errors"\s*:/);
}

describe('README.md', () => {
  it('marks few blocks as not run, each with a reason', () => {
    const skipped = blocks.filter((b) => b.marker.kind === 'skip');
    expect(skipped.length).toBeLessThanOrEqual(3);
    expect(blocks.filter((b) => b.marker.kind !== 'skip').length).toBeGreaterThan(5);
  });

  for (const b of blocks) {
    if (b.marker.kind === 'skip') continue;
    const streamSeconds = b.marker.kind === 'stream' ? b.marker.seconds : undefined;
    const title = `README.md:${b.line} (${b.language}${streamSeconds ? `, streams ${streamSeconds} s` : ''}): ${b.code.split('\n').find((l) => l.trim() && !l.startsWith('#') && !l.startsWith('//'))?.trim().slice(0, 70)}`;
    it(title, async () => {
      if (b.language === 'ts') {
        expect(typeErrors.get(b.line) ?? [], 'type errors').toEqual([]);
        expect(typeErrors.get(0) ?? [], 'tsc').toEqual([]);
        expectClean(b, await run(join(ROOT, 'node_modules/.bin/tsx'), [tsFile(b)], { cwd: work, env, streamSeconds }));
      } else {
        expectClean(b, await run('bash', ['-c', shellPrelude + localise(b.code)], { cwd: work, env, streamSeconds }));
      }
    }, 90_000);
  }
});
