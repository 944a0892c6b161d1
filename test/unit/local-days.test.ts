// Local-day buckets across a DST change: each starts at local midnight, whatever `from` is.
import { describe, expect, it } from 'vitest';
import { UnknownTimeZoneError, localDayBuckets } from '../../src/db/local-days.js';

const ms = (iso: string) => Date.parse(iso);
const isos = (starts: number[]) => starts.map((s) => new Date(s).toISOString());

describe('localDayBuckets', () => {
  it('Europe/Berlin around 2026-03-29 (a 23 h day): one bucket per local day, each at local midnight', () => {
    const b = localDayBuckets(ms('2026-03-27T23:00:00Z'), ms('2026-03-30T22:00:00Z'), 3, 'Europe/Berlin');
    expect(isos(b!.starts)).toEqual(['2026-03-27T23:00:00.000Z', '2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    expect(b!.wholeMinutes).toBe(true);
    // From noon: the first bucket starts at the local midnight before `from`, and the four local
    // days touched fit into 3 buckets only as 2 days each (like minute buckets, whole units).
    const noon = localDayBuckets(ms('2026-03-28T11:00:00Z'), ms('2026-03-31T11:00:00Z'), 3, 'Europe/Berlin');
    expect(isos(noon!.starts)).toEqual(['2026-03-27T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
  });

  it('wider buckets are whole local days; Asia/Kathmandu (+05:45) still whole minutes', () => {
    const b = localDayBuckets(ms('2026-03-01T00:00:00Z'), ms('2026-04-01T00:00:00Z'), 4, 'Europe/Berlin');
    expect(isos(b!.starts)).toEqual(['2026-02-28T23:00:00.000Z', '2026-03-08T23:00:00.000Z', '2026-03-16T23:00:00.000Z', '2026-03-24T23:00:00.000Z']);
    const k = localDayBuckets(ms('2026-03-01T00:00:00Z'), ms('2026-03-03T00:00:00Z'), 2, 'Asia/Kathmandu');
    // Two buckets for two days that touch three local days: two days each, from local midnight.
    expect(isos(k!.starts)).toEqual(['2026-02-28T18:15:00.000Z', '2026-03-02T18:15:00.000Z']);
  });

  it('the last 7 days up to now, in 8 buckets: the 8 local days touched, one each', () => {
    const b = localDayBuckets(ms('2026-03-23T16:00:00Z'), ms('2026-03-30T15:00:00Z'), 8, 'Asia/Jakarta');
    expect(isos(b!.starts)).toEqual(['2026-03-22T17:00:00.000Z', '2026-03-23T17:00:00.000Z', '2026-03-24T17:00:00.000Z', '2026-03-25T17:00:00.000Z',
      '2026-03-26T17:00:00.000Z', '2026-03-27T17:00:00.000Z', '2026-03-28T17:00:00.000Z', '2026-03-29T17:00:00.000Z']);
  });

  it('buckets shorter than a day are not aligned to days; an unknown zone is refused by name', () => {
    expect(localDayBuckets(ms('2026-03-01T00:00:00Z'), ms('2026-03-02T00:00:00Z'), 3, 'Europe/Berlin')).toBeUndefined();
    expect(() => localDayBuckets(0, 1, 1, 'Mars/Olympus_Mons')).toThrow(UnknownTimeZoneError);
    expect(() => localDayBuckets(0, 1, 1, 'Mars/Olympus_Mons')).toThrow('unknown time zone "Mars/Olympus_Mons"');
  });
});
