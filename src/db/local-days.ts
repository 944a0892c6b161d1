// Series buckets of a day or longer in a time zone (SPEC §10): each starts at local midnight,
// DST-aware (a local day is 23, 24 or 25 hours), computed with luxon from the IANA database
// Node carries, so the answer does not depend on the database server's zone files.
import { DateTime, IANAZone } from 'luxon';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** The zone is not an IANA name this process knows. */
export class UnknownTimeZoneError extends Error {
  constructor(readonly timeZone: string) {
    super(`unknown time zone "${timeZone.slice(0, 64)}"; give an IANA name such as "Europe/Berlin" or "Asia/Jakarta"`);
  }
}

export interface LocalDayBuckets {
  /** Bucket starts, epoch ms, ascending; the first is local midnight at or before `from`. */
  starts: number[];
  /** Every start is a whole UTC minute (true of every zone's offsets since 1972), so the per-minute rollup serves whole minutes. */
  wholeMinutes: boolean;
}

/** Checks the zone; throws UnknownTimeZoneError naming it. */
export function checkTimeZone(timeZone: string): IANAZone {
  if (!IANAZone.isValidZone(timeZone)) throw new UnknownTimeZoneError(timeZone);
  return IANAZone.create(timeZone);
}

/**
 * Local-day buckets over [from, to) in at most `buckets` buckets, each ⌈local days touched /
 * buckets⌉ days; undefined when [from, to) split into `buckets` gives less than half a day of
 * wall-clock time (those are left to whole minutes). Half a day, not a day: "the last 7 days up
 * to now" touches 8 local days, and 8 buckets of it must still be the 8 days.
 */
export function localDayBuckets(fromMs: number, toMs: number, buckets: number, timeZone: string): LocalDayBuckets | undefined {
  const zone = checkTimeZone(timeZone);
  // Wall-clock time: the instant as the zone's clocks show it, read as if it were UTC.
  const wall = (ms: number) => ms + zone.offset(ms) * MINUTE;
  if ((wall(toMs) - wall(fromMs)) / buckets < DAY / 2) return undefined;
  const first = DateTime.fromMillis(fromMs, { zone }).startOf('day');
  const touched = Math.ceil((wall(toMs) - wall(first.toMillis())) / DAY);
  const days = Math.ceil(touched / buckets);
  const starts: number[] = [];
  for (let k = 0; ; k++) {
    const start = first.plus({ days: k * days }).toMillis();
    if (start >= toMs) break;
    starts.push(start);
  }
  return { starts, wholeMinutes: starts.every((s) => s % MINUTE === 0) };
}
