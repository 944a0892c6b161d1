// The local spool: where messages go while PostgreSQL is unreachable. The broker will not hold
// a long outage for us (Mosquitto drops a session's messages past max_queued_messages), and
// memory is bounded, so messages are appended to files under DATA_DIR/spool, fsync'd, and only
// then acknowledged. When the database is back the writer commits the spool, oldest file first,
// and deletes each file once all of it is committed. A crash in between replays the file again:
// messages with a timestamp or seq are recognised and stored once (see README).
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
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

export class Spool {
  private current: string | undefined;
  private sequence = 0;
  /** Messages in spool files, not yet committed. */
  size = 0;

  private constructor(private readonly dir: string) {}

  static async open(dir: string): Promise<Spool> {
    await mkdir(dir, { recursive: true });
    const spool = new Spool(dir);
    for (const file of await spool.files()) spool.size += (await spool.read(file)).length;
    return spool;
  }

  /** Appends and fsyncs; resolves once the messages survive a crash. */
  async append(messages: SpooledMessage[]): Promise<void> {
    if (messages.length === 0) return;
    this.current ??= `${Date.now().toString().padStart(15, '0')}-${String(this.sequence++).padStart(6, '0')}.ndjson`;
    const text = messages
      .map((m) => JSON.stringify({ t: m.topic, p: Buffer.from(m.payload).toString('base64'), r: m.receivedAt.toISOString() } satisfies Line))
      .join('\n');
    const handle = await open(join(this.dir, this.current), 'a');
    try {
      await handle.write(`${text}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    this.size += messages.length;
  }

  /** The oldest file's messages, or undefined when the spool is empty. Closes the file for appends. */
  async oldest(): Promise<{ file: string; messages: SpooledMessage[] } | undefined> {
    const [file] = await this.files();
    if (!file) return undefined;
    if (file === this.current) this.current = undefined; // new appends start a new file
    return { file, messages: await this.read(file) };
  }

  /** Removes a file once every message in it is committed. */
  async done(file: string, count: number): Promise<void> {
    await rm(join(this.dir, file), { force: true });
    this.size = Math.max(0, this.size - count);
  }

  private async files(): Promise<string[]> {
    return (await readdir(this.dir)).filter((f) => f.endsWith('.ndjson')).sort();
  }

  private async read(file: string): Promise<SpooledMessage[]> {
    const text = await readFile(join(this.dir, file), 'utf8');
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
}
