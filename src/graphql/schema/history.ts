// Analyst queries: `series` (time buckets of one numeric field) and `track` (positions
// downsampled for a map). Both computed in PostgreSQL (src/db/history.ts).
import type { SeriesBucket, TrackPoint } from '../../db/history.js';
import { SERIES_FIELDS } from '../../logs/fields.js';
import { TELEMETRY_TYPE } from '../../logs/kinds.js';
import { MAX_SERIES_KEY_LENGTH } from '../../db/rollup.js';
import { builder } from '../builder.js';
import { badInput } from '../errors.js';
import { checkTimeZone } from '../../db/local-days.js';

const MAX_BUCKETS = 5000;
const MAX_POINTS = 10_000;

const SeriesBucketRef = builder.objectRef<SeriesBucket>('SeriesBucket').implement({
  description: 'One time bucket of a series: values of the field at times in [start, start + width).',
  fields: (t) => ({
    start: t.field({ type: 'DateTime', resolve: (b) => b.start }),
    avg: t.exposeFloat('avg'),
    min: t.exposeFloat('min'),
    max: t.exposeFloat('max'),
    count: t.exposeInt('count'),
  }),
});

const TrackPointRef = builder.objectRef<TrackPoint>('TrackPoint').implement({
  fields: (t) => ({
    id: t.exposeID('id', { description: `The ${TELEMETRY_TYPE} this position comes from` }),
    timestamp: t.field({ type: 'DateTime', resolve: (p) => p.timestamp }),
    latitude: t.exposeFloat('latitude'),
    longitude: t.exposeFloat('longitude'),
    heading: t.exposeFloat('heading', { nullable: true }),
  }),
});

const SENSOR_KEY = new RegExp(`^[A-Za-z_][A-Za-z0-9_]{0,${MAX_SERIES_KEY_LENGTH - 1}}$`);

/** A telemetry field by its GraphQL name or its key as published; a sensor key as it is. */
function seriesKey(field: string, sensorId: number | null | undefined): string {
  if (sensorId === null || sensorId === undefined) {
    const key = SERIES_FIELDS[field] ?? (Object.values(SERIES_FIELDS).includes(field) ? field : undefined);
    if (key === undefined) {
      throw badInput(`unknown field "${field}"; allowed: ${Object.keys(SERIES_FIELDS).join(', ')} (or pass sensorId for a key of that sensor's data)`);
    }
    return key;
  }
  if (!SENSOR_KEY.test(field)) throw badInput(`field must be a key of the sensor's data object (at most ${MAX_SERIES_KEY_LENGTH} letters, digits or _), e.g. "temperature"`);
  return field;
}

/** An IANA zone, or a BAD_USER_INPUT error naming the unknown one. */
function zoneArg(timeZone: string | null | undefined): string | undefined {
  if (timeZone === null || timeZone === undefined) return undefined;
  try {
    checkTimeZone(timeZone);
  } catch (err) {
    throw badInput((err as Error).message);
  }
  return timeZone;
}

builder.queryFields((t) => ({
  series: t.field({
    type: [SeriesBucketRef],
    description:
      'avg/min/max/count of a numeric field over [from, to) in at most `buckets` equal time buckets (non-empty ones only). ' +
      'Buckets shorter than a minute split the range exactly; longer ones are whole minutes aligned to the minute ' +
      '(the first may start before `from` but holds only values from `from` on), summed from a per-minute rollup.',
    args: {
      vehicleId: t.arg.int({ required: true }),
      field: t.arg.string({ required: true, description: `${TELEMETRY_TYPE}: ${Object.keys(SERIES_FIELDS).join(', ')}; with sensorId: a key of that sensor's data` }),
      sensorId: t.arg.int(),
      from: t.arg({ type: 'DateTime', required: true }),
      to: t.arg({ type: 'DateTime', required: true }),
      buckets: t.arg.int({ defaultValue: 500 }),
      timeZone: t.arg.string({ description: 'IANA zone, e.g. "Europe/Berlin": buckets of half a day or more become whole local days, each from local midnight (DST-aware)' }),
    },
    resolve: (_root, a, ctx) => {
      const buckets = a.buckets ?? 500;
      if (buckets < 1 || buckets > MAX_BUCKETS) throw badInput(`buckets must be between 1 and ${MAX_BUCKETS}`);
      if (a.from >= a.to) throw badInput('from must be before to');
      const key = seriesKey(a.field, a.sensorId);
      const timeZone = zoneArg(a.timeZone);
      return ctx.history.series({ vehicleId: a.vehicleId, key, sensorId: a.sensorId ?? undefined, from: a.from, to: a.to, buckets, timeZone });
    },
  }),
  track: t.field({
    type: [TrackPointRef],
    description: "The vessel's positions in time order, at most maxPoints: first, last, the sharpest turns and evenly spaced points.",
    args: {
      vehicleId: t.arg.int({ required: true }),
      from: t.arg({ type: 'DateTime' }),
      to: t.arg({ type: 'DateTime' }),
      maxPoints: t.arg.int({ defaultValue: 1000 }),
    },
    resolve: (_root, a, ctx) => {
      const maxPoints = a.maxPoints ?? 1000;
      if (maxPoints < 2 || maxPoints > MAX_POINTS) throw badInput(`maxPoints must be between 2 and ${MAX_POINTS}`);
      return ctx.history.track(a.vehicleId, a.from ?? undefined, a.to ?? undefined, maxPoints);
    },
  }),
}));
