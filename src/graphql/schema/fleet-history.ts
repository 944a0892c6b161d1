// The fleet's past (SPEC §10): Query.fleet(at), Query.gaps, Query.missions (computed in
// PostgreSQL, src/db/fleet-history.ts) and Subscription.replay (paced here, src/live/replay.ts).
import type { FleetEntry, Mission, SeqGap } from '../../db/fleet-history.js';
import { MAX_GAPS } from '../../db/fleet-history.js';
import { openReplay } from '../../live/replay.js';
import { TELEMETRY_TYPE } from '../../logs/kinds.js';
import { builder } from '../builder.js';
import { badInput } from '../errors.js';
import { LogRef, TelemetryLogRef } from './logs.js';

const MAX_SPEED = 1000;

const FleetEntryRef = builder.objectRef<FleetEntry>('FleetEntry').implement({
  fields: (t) => ({
    vehicleId: t.exposeInt('vehicleId'),
    telemetry: t.field({ type: TelemetryLogRef, nullable: true, description: `The newest ${TELEMETRY_TYPE} at or before \`at\``, resolve: (e) => e.telemetry }),
  }),
});

const SeqGapRef = builder.objectRef<SeqGap>('SeqGap').implement({
  description: 'Telemetry `seq` numbers fromSeq..toSeq (inclusive) never stored, between the logs at `after` and `before`.',
  fields: (t) => ({
    fromSeq: t.exposeFloat('fromSeq'),
    toSeq: t.exposeFloat('toSeq'),
    after: t.field({ type: 'DateTime', resolve: (g) => g.after }),
    before: t.field({ type: 'DateTime', resolve: (g) => g.before }),
  }),
});

const MissionRef = builder.objectRef<Mission>('Mission').implement({
  description: 'From `armed` becoming true to it becoming false.',
  fields: (t) => ({
    start: t.field({ type: 'DateTime', resolve: (m) => m.start }),
    end: t.field({ type: 'DateTime', nullable: true, description: 'null: still armed at the end of the window', resolve: (m) => m.end }),
    distanceMeters: t.exposeFloat('distanceMeters', { description: 'Haversine distance along its positions' }),
    durationSeconds: t.exposeFloat('durationSeconds', { description: 'To `end`, or to its last telemetry while still armed' }),
    maxSpeed: t.exposeFloat('maxSpeed', { nullable: true }),
    batteryUsedVolts: t.exposeFloat('batteryUsedVolts', { nullable: true, description: 'First battery voltage minus the last' }),
  }),
});

function checkWindow(from: Date | null | undefined, to: Date | null | undefined): void {
  if (from && to && from >= to) throw badInput('from must be before to');
}

builder.queryFields((t) => ({
  fleet: t.field({
    type: [FleetEntryRef],
    description: `Each vessel in scope as it was at \`at\`: its newest ${TELEMETRY_TYPE} at or before then (one index step per vessel).`,
    args: { at: t.arg({ type: 'DateTime', required: true }) },
    resolve: (_root, a, ctx) => ctx.fleetHistory.fleet(a.at, ctx.scope),
  }),
  gaps: t.field({
    type: [SeqGapRef],
    description: `Ranges of \`seq\` missing between consecutive stored ${TELEMETRY_TYPE}s of the vessel in [from, to) (logs without seq are ignored; at most ${MAX_GAPS}).`,
    args: {
      vehicleId: t.arg.int({ required: true }),
      from: t.arg({ type: 'DateTime', required: true }),
      to: t.arg({ type: 'DateTime', required: true }),
    },
    resolve: (_root, a, ctx) => {
      checkWindow(a.from, a.to);
      return ctx.fleetHistory.gaps(a.vehicleId, a.from, a.to);
    },
  }),
  missions: t.field({
    type: [MissionRef],
    description: 'The vessel’s missions in [from, to), oldest first; one already under way at `from` starts at its first telemetry from then.',
    args: {
      vehicleId: t.arg.int({ required: true }),
      from: t.arg({ type: 'DateTime' }),
      to: t.arg({ type: 'DateTime' }),
    },
    resolve: (_root, a, ctx) => {
      checkWindow(a.from, a.to);
      return ctx.fleetHistory.missions(a.vehicleId, a.from ?? undefined, a.to ?? undefined);
    },
  }),
}));

builder.subscriptionField('replay', (t) =>
  t.field({
    type: LogRef,
    description: `The vessel's stored logs of [from, to) in time order, spaced by their original gaps divided by \`speed\` (at most ${MAX_SPEED}); completes at \`to\`.`,
    args: {
      vehicleId: t.arg.int({ required: true }),
      from: t.arg({ type: 'DateTime', required: true }),
      to: t.arg({ type: 'DateTime', required: true }),
      speed: t.arg.float({ defaultValue: 1 }),
    },
    // Its own pacing from its own start: never shared with another subscriber (groups.ts).
    extensions: { personal: true },
    subscribe: (_root, a, ctx) => {
      const speed = a.speed ?? 1;
      if (!(speed > 0 && speed <= MAX_SPEED)) throw badInput(`speed must be above 0 and at most ${MAX_SPEED}, got ${speed}`);
      checkWindow(a.from, a.to);
      return openReplay(ctx.fleetHistory, { vehicleId: a.vehicleId, from: a.from, to: a.to, speed });
    },
    resolve: (e) => e,
  }),
);
