// The live dashboard: the first picture from GraphQL queries, then one subscription that resumes
// after the newest id it has applied. Every log, from a query or live, goes through apply().
import './styles.css';
import { LogsQuery, VehiclesQuery } from '../../client/operations.js';
import { AlertsPanel } from './alerts.js';
import { promptForToken } from './auth.js';
import { loadCapabilities } from './capabilities.js';
import { Cards } from './cards.js';
import { LiveChart } from './chart.js';
import { query, startLiveFeed, UnauthorizedError, type ConnState, type LiveFeed } from './connection.js';
import { HistoryView } from './history.js';
import { LogStream } from './logstream.js';
import { FleetMap } from './map/fleet-map.js';
import { loadSettings } from './settings.js';
import type { Log } from './types.js';
import { Units } from './units.js';
import { scheduler } from './util.js';

const HISTORY_LOGS = 200;
const HISTORY_TRACK = 300; // vehicle logs per vessel, for tracks longer than the shared history

declare global {
  interface Window {
    /** For tests and debugging in the console. */
    __seano?: { dropConnection(): void; lastId(): string };
  }
}

const $ = <T extends Element>(sel: string) => document.querySelector<T>(sel)!;
const connEl = $<HTMLElement>('#conn-state');
const summaryEl = $<HTMLElement>('#summary');
const bannerEl = $<HTMLElement>('#link-banner');
const units = new Units();
units.bindToggle([...document.querySelectorAll<HTMLButtonElement>('.units button')]);
const cards = new Cards($('#vehicle-cards'), units);
const chart = new LiveChart($('#chart'), $('#chart-field'), $('#chart-count'), units);
const stream = new LogStream($('#log-stream'), $('#filter-vehicle'), $('#filter-type'), units);
const map = new FleetMap($('#map'), await loadSettings(), units);
const alerts = new AlertsPanel($('#alerts'), $('#alert-list'), cards);
const history = new HistoryView($('#history'), map, units);
let applied = 0; // newest log id applied; ids only grow, so anything at or below it is a repeat
let messages = 0;
let state: ConnState = 'connecting';

function apply(log: Log): void {
  const id = Number(log.id);
  if (id <= applied) return;
  applied = id;
  messages++;
  cards.seen(log.vehicleId, log.receivedAt);
  if (log.__typename === 'VehicleLog') {
    cards.telemetry(log);
    if (log.latitude !== null && log.longitude !== null) map.add(log.vehicleId, log.latitude, log.longitude, log.heading);
  }
  chart.add(log);
  stream.add(log);
  refresh();
}

function setState(s: ConnState): void {
  if (s === 'unauthorized' && state !== 'unauthorized') promptForToken($('#token-prompt'));
  state = s;
  connEl.textContent = s;
  connEl.dataset.state = s;
  cards.setLink(s === 'connected');
  bannerEl.hidden = s !== 'reconnecting';
  tick();
}

function tick(): void {
  cards.tick();
  history.setVessels(cards.ids);
  const vessels = cards.size === 0 ? 'no vessels yet' : state === 'connected'
    ? `${cards.onlineCount()} of ${cards.size} vessels online`
    : `${cards.size} vessel${cards.size === 1 ? '' : 's'}, state unknown`;
  summaryEl.textContent = `${vessels} · ${messages} messages`;
}
const refresh = scheduler(tick);

/** Returns the id the subscription resumes after: the newest log of the shared history. */
async function loadHistory(): Promise<string> {
  const [{ vehicles }, { logs }] = await Promise.all([query(VehiclesQuery, {}), query(LogsQuery, { last: HISTORY_LOGS })]);
  // '0' when nothing is stored yet: replay from the start, so a log stored meanwhile is not missed.
  const cursor = logs.edges.at(-1)?.node.id ?? '0';
  const tracks = await Promise.all(
    vehicles.map((v) => query(LogsQuery, { vehicleId: v.id, types: ['VEHICLE_LOG'], last: HISTORY_TRACK })),
  );
  // The queries ran at slightly different moments: keep only what is at or before the cursor (the
  // subscription replays the rest), and apply everything in id order.
  const byId = new Map<string, Log>();
  for (const l of [...tracks.flatMap((t) => t.logs.edges.map((e) => e.node)), ...logs.edges.map((e) => e.node)]) {
    if (Number(l.id) <= Number(cursor)) byId.set(l.id, l);
  }
  for (const v of vehicles) cards.seen(v.id, v.lastSeenAt);
  for (const l of [...byId.values()].sort((a, b) => Number(a.id) - Number(b.id))) apply(l);
  return cursor;
}

async function start(): Promise<LiveFeed | undefined> {
  setState('connecting');
  for (let attempt = 0; ; attempt++) {
    try {
      const after = await loadHistory();
      return startLiveFeed({ after, onLog: apply, onState: setState });
    } catch (err) {
      if (err instanceof UnauthorizedError) {
        setState('unauthorized'); // a person must give a token: the prompt reloads the page
        return undefined;
      }
      console.warn('loading history failed, retrying', err);
      setState('reconnecting');
      await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** attempt, 10_000)));
    }
  }
}

setInterval(tick, 1000);
tick();
const feed = await start();
if (feed) {
  window.__seano = { dropConnection: () => feed.dropConnection(), lastId: () => feed.lastId() };
  const caps = await loadCapabilities();
  alerts.start(feed, caps.has('Query', 'alerts') === false || caps.has('Subscription', 'alerts') === false ? false : caps.has('Query', 'alerts'));
  history.start(caps);
}
