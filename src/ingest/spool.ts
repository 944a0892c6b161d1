// The local spool: where messages go while PostgreSQL is unreachable. The broker will not hold
// a long outage for us (Mosquitto drops a session's messages past max_queued_messages), and
// memory is bounded, so messages are appended to files under DATA_DIR/spool, fsync'd, and only
// then acknowledged. When the database is back the writer commits the spool, oldest file first,
// and deletes each file once all of it is committed (a file committed in part is rewritten with
// the rest). A crash in between replays the file again: messages with a timestamp or seq are
// recognised and stored once (see README). The disk is bounded too (SPOOL_MAX_BYTES): a message
// that does not fit is not spooled, so the writer holds it unacknowledged and the MQTT edge
// stops reading — the broker keeps the rest.
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** What the spool keeps of a message: exactly what arrived, so it is validated again on replay. */
export interface SpooledMessage {
  topic: string;
  payload: Uint8Array;
  receivedAt: Date;
}

interface Line {
  t: string;
  p: string; // base64
  r: string;
}

/** A file is replayed from memory whole: past this size appends start a new one. */
const FILE_BYTES = 16 * 1024 * 1024;

const encode = (m: SpooledMessage) =>
  `${JSON.stringify({ t: m.topic, p: Buffer.from(m.payload).toString('base64'), r: m.receivedAt.toISOString() } satisfies Line)}\n`;

export class Spool {
  private current: string | undefined;
  private sequence = 0;
  /** Messages and bytes of each file. */
  private readonly files = new Map<string, { count: number; bytes: number }>();
  /** Messages in spool files, not yet committed. */
  size = 0;
  /** Bytes of the spool files; appends keep it at most `maxBytes`. */
  bytes = 0;

  private constructor(
    private readonly dir: string,
    readonly maxBytes: number,
  ) {}

  static async open(dir: string, maxBytes = Number.POSITIVE_INFINITY): Promise<Spool> {
    await mkdir(dir, { recursive: true });
    const spool = new Spool(dir, maxBytes);
    for (const file of await spool.list()) {
      const text = await readFile(join(dir, file), 'utf8');
      spool.track(file, parse(text).length, Buffer.byteLength(text));
    }
    return spool;
  }

  /** Appends, in order, as many of `messages` as fit under the cap and fsyncs; resolves to how many. */
  async append(messages: SpooledMessage[]): Promise<number> {
    const lines: string[] = [];
    let bytes = 0;
    for (const m of messages) {
      const line = encode(m);
      const size = Buffer.byteLength(line);
      if (this.bytes + bytes + size > this.maxBytes) break;
      lines.push(line);
      bytes += size;
    }
    if (lines.length === 0) return 0;
    if (this.current && this.files.get(this.current)!.bytes >= FILE_BYTES) this.current = undefined;
    this.current ??= `${Date.now().toString().padStart(15, '0')}-${String(this.sequence++).padStart(6, '0')}.ndjson`;
    await writeSynced(join(this.dir, this.current), lines.join(''), 'a');
    const before = this.files.get(this.current) ?? { count: 0, bytes: 0 };
    this.track(this.current, before.count + lines.length, before.bytes + bytes);
    return lines.length;
  }

  /** The oldest file's messages, or undefined when the spool is empty. Closes the file for appends. */
  async oldest(): Promise<{ file: string; messages: SpooledMessage[] } | undefined> {
    const [file] = await this.list();
    if (!file) return undefined;
    if (file === this.current) this.current = undefined; // new appends start a new file
    return { file, messages: parse(await readFile(join(this.dir, file), 'utf8')) };
  }

  /** Removes a file once every message in it is committed. */
  async done(file: string): Promise<void> {
    await rm(join(this.dir, file), { force: true });
    this.track(file, 0, 0);
  }

  /** Rewrites a file with only the messages not yet committed (the rest of it was). */
  async keep(file: string, messages: SpooledMessage[]): Promise<void> {
    if (messages.length === 0) return this.done(file);
    const text = messages.map(encode).join('');
    const path = join(this.dir, file);
    await writeSynced(`${path}.tmp`, text, 'w');
    await rename(`${path}.tmp`, path); // whole or not at all, even across a crash
    this.track(file, messages.length, Buffer.byteLength(text));
  }

  private track(file: string, count: number, bytes: number): void {
    const before = this.files.get(file) ?? { count: 0, bytes: 0 };
    this.size += count - before.count;
    this.bytes += bytes - before.bytes;
    if (count === 0) this.files.delete(file);
    else this.files.set(file, { count, bytes });
  }

  private async list(): Promise<string[]> {
    return (await readdir(this.dir)).filter((f) => f.endsWith('.ndjson')).sort();
  }
}

async function writeSynced(path: string, text: string, flags: 'a' | 'w'): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.write(text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

function parse(text: string): SpooledMessage[] {
  const out: SpooledMessage[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const l = JSON.parse(line) as Line;
      out.push({ topic: l.t, payload: Buffer.from(l.p, 'base64'), receivedAt: new Date(l.r) });
    } catch {
      // A torn last line from a crash mid-append: that message was never acknowledged.
    }
  }
  return out;
}
