// A replay (SPEC §10): the stored logs of one vessel in [from, to), in time order, each sent when
// its original offset from `from`, divided by `speed`, has passed; the stream completes when
// `to` is reached on that clock. Every log is due at a time fixed from the start (not from the
// previous send), so waits do not add up to drift; the next page is read while this one plays.
import type { LogEvent } from '../logs/event.js';
import type { ReplayCursor } from '../db/fleet-history.js';

export interface ReplayReader {
  replayPage(vehicleId: number, from: Date, to: Date, cursor: ReplayCursor | undefined, limit: number): Promise<LogEvent[]>;
}

export interface ReplayOptions {
  vehicleId: number;
  from: Date;
  to: Date;
  /** Original gaps are divided by this (> 0). */
  speed: number;
}

const PAGE = 500;

export function openReplay(reader: ReplayReader, o: ReplayOptions): AsyncIterableIterator<LogEvent> {
  const stop = new AbortController();
  let startedAt = 0; // the clock starts once the first page is read: its query time is not played
  const fromMs = o.from.getTime();
  /** Resolves once `ms` after `from` (original time) is due; false when the replay was ended. */
  const until = (ms: number): Promise<boolean> => {
    const wait = startedAt + (ms - fromMs) / o.speed - performance.now();
    if (stop.signal.aborted) return Promise.resolve(false);
    if (wait <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const abort = () => (clearTimeout(timer), resolve(false));
      const timer = setTimeout(() => (stop.signal.removeEventListener('abort', abort), resolve(true)), wait);
      stop.signal.addEventListener('abort', abort, { once: true });
    });
  };
  const read = (cursor: ReplayCursor | undefined) => reader.replayPage(o.vehicleId, o.from, o.to, cursor, PAGE);

  async function* run(): AsyncGenerator<LogEvent> {
    let page = await read(undefined);
    startedAt = performance.now();
    while (page.length > 0) {
      const last = page[page.length - 1]!;
      const next = page.length === PAGE ? read({ timestamp: last.timestamp, id: last.id }) : Promise.resolve([]);
      next.catch(() => {}); // awaited below; not unhandled if the replay ends first
      for (const e of page) {
        if (!(await until(Date.parse(e.timestamp)))) return;
        yield e;
      }
      page = await next;
    }
    await until(o.to.getTime());
  }

  const gen = run();
  return {
    next: () => gen.next(),
    // Abort first: a generator parked in a wait would otherwise see return() only when it wakes.
    return: async () => {
      stop.abort();
      return gen.return(undefined);
    },
    throw: (e) => gen.throw(e),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
