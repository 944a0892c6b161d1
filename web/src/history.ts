// The history view: one vessel over a chosen time range: its stored track on the map (Query.track),
// a chart of one value (Query.series: min, mean and max per bucket) and its missions
// (Query.missions, SPEC §10). A part whose field the service lacks stays hidden.
import uPlot from 'uplot';
import type { Capabilities } from './capabilities.js';
import { isMissingField, queryText } from './connection.js';
import type { FleetMap, TrackPoint } from './map/fleet-map.js';
import type { Units } from './units.js';
import { h, vesselColor } from './util.js';

interface Bucket { start: string; avg: number; min: number; max: number; count: number }
interface Mission {
  start: string;
  end: string | null;
  distanceMeters: number;
  durationSeconds: number;
  maxSpeed: number | null;
  batteryUsedVolts: number | null;
}
type Range = { vehicleId: number; from: string; to: string };

const TRACK = `query DashboardTrack($vehicleId: Int!, $from: DateTime, $to: DateTime) {
  track(vehicleId: $vehicleId, from: $from, to: $to, maxPoints: 2000) { latitude longitude timestamp }
}`;
const SERIES = `query DashboardSeries($vehicleId: Int!, $field: String!, $from: DateTime!, $to: DateTime!) {
  series(vehicleId: $vehicleId, field: $field, from: $from, to: $to, buckets: 300) { start avg min max count }
}`;
const MISSIONS = `query DashboardMissions($vehicleId: Int!, $from: DateTime, $to: DateTime) {
  missions(vehicleId: $vehicleId, from: $from, to: $to) { start end distanceMeters durationSeconds maxSpeed batteryUsedVolts }
}`;
const UNITS: Record<string, string> = { batteryVoltage: 'V', batteryCurrent: 'A', rssi: 'dBm', heading: '°' };
const HEIGHT = 220;

export class HistoryView {
  private readonly form: HTMLFormElement;
  private readonly status: HTMLElement;
  private readonly chartEl: HTMLElement;
  private readonly missionsEl: HTMLElement;
  private readonly body: HTMLElement;
  private plot: uPlot | undefined;
  private parts = { track: true, series: true, missions: true };
  private lastRange: Range | undefined;

  constructor(
    private readonly section: HTMLElement,
    private readonly map: FleetMap,
    private readonly units: Units,
  ) {
    this.form = section.querySelector('form')!;
    this.status = section.querySelector('.history-status')!;
    this.chartEl = section.querySelector('#history-chart')!;
    this.missionsEl = section.querySelector('#history-missions')!;
    this.body = section.querySelector('.history-body')!;
    this.setRange(3600_000);
    this.status.textContent = 'Pick a vessel and a time range: its stored track goes on the map (dashed), a value on the chart here.';
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.show();
    });
    for (const b of section.querySelectorAll<HTMLButtonElement>('button[data-range-ms]')) {
      b.addEventListener('click', () => {
        this.setRange(Number(b.dataset.rangeMs));
        void this.show();
      });
    }
    section.querySelector('button[name="clear"]')!.addEventListener('click', () => this.clear());
    units.onChange(() => this.lastRange && void this.show());
    new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: HEIGHT })).observe(this.chartEl);
  }

  start(caps: Capabilities): void {
    const has = (f: string) => caps.has('Query', f) !== false;
    this.parts = { track: has('track'), series: has('series'), missions: has('missions') };
    this.missionsEl.hidden = !this.parts.missions;
    this.section.hidden = !this.parts.track && !this.parts.series;
    this.section.dataset.supported = String(!this.section.hidden);
  }

  /** Vessels to pick from, in order; the current choice is kept. */
  setVessels(ids: number[]): void {
    const select = this.form.elements.namedItem('vehicle') as HTMLSelectElement;
    if (select.options.length === ids.length) return;
    const chosen = select.value;
    select.replaceChildren(...ids.map((id) => new Option(`vessel ${id}`, String(id))));
    if (ids.includes(Number(chosen))) select.value = chosen;
  }

  private setRange(ms: number): void {
    const to = new Date(Date.now() + 60_000); // what arrives while looking is in range too
    this.input('to').value = localInput(to);
    this.input('from').value = localInput(new Date(to.getTime() - ms));
  }

  private input(name: string): HTMLInputElement {
    return this.form.elements.namedItem(name) as HTMLInputElement;
  }

  private async show(): Promise<void> {
    const vehicleId = Number((this.form.elements.namedItem('vehicle') as HTMLSelectElement).value);
    const from = new Date(this.input('from').value);
    const to = new Date(this.input('to').value);
    if (!vehicleId) return void (this.status.textContent = 'No vessel to show yet.');
    if (!(from < to)) return void (this.status.textContent = '"From" must be before "to".');
    const range: Range = { vehicleId, from: from.toISOString(), to: to.toISOString() };
    this.lastRange = range;
    this.status.textContent = 'Loading…';
    const field = (this.form.elements.namedItem('field') as HTMLSelectElement).value;
    const [points, buckets, missions] = await Promise.all([
      this.part('track', () => queryText<{ track: TrackPoint[] }>(TRACK, range).then((r) => r.track)),
      this.part('series', () => queryText<{ series: Bucket[] }>(SERIES, { ...range, field }).then((r) => r.series)),
      this.part('missions', () => queryText<{ missions: Mission[] }>(MISSIONS, range).then((r) => r.missions)),
    ]);
    if (this.lastRange !== range) return; // a newer request took over
    if (points) this.map.showHistory(vehicleId, points);
    if (buckets) this.drawSeries(range, field, buckets);
    if (missions) this.drawMissions(missions);
    const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
    const said = [
      points && count(points.length, 'position'),
      buckets && count(buckets.reduce((n, b) => n + b.count, 0), 'value'),
      missions && count(missions.length, 'mission'),
    ].filter(Boolean);
    const nothing = !points?.length && !buckets?.length && !missions?.length;
    this.status.textContent = nothing ? `Nothing stored for vessel ${vehicleId} in this range.` : said.join(' · ');
    this.section.dataset.shown = String(vehicleId);
    this.body.hidden = false;
  }

  /** One part's query; a field the service lacks hides that part from then on. */
  private async part<T>(name: keyof HistoryView['parts'], run: () => Promise<T>): Promise<T | undefined> {
    if (!this.parts[name]) return undefined;
    try {
      return await run();
    } catch (err) {
      if (isMissingField(err)) {
        this.parts[name] = false;
        if (name === 'missions') this.missionsEl.hidden = true;
      } else {
        console.warn(`history: ${name} failed`, err);
      }
      return undefined;
    }
  }

  private clear(): void {
    this.lastRange = undefined;
    this.map.showHistory(0, []);
    this.plot?.destroy();
    this.plot = undefined;
    this.chartEl.dataset.points = '0';
    this.missionsEl.querySelector('tbody')?.replaceChildren();
    this.status.textContent = '';
    delete this.section.dataset.shown;
    this.body.hidden = true;
  }

  private width(): number {
    return Math.max(200, this.chartEl.clientWidth);
  }

  private drawSeries({ vehicleId, from, to }: Range, field: string, buckets: Bucket[]): void {
    const conv = field === 'speed' ? (v: number) => this.units.speedValue(v) : (v: number) => v;
    const unit = field === 'speed' ? this.units.speedUnit : (UNITS[field] ?? '');
    const xs = buckets.map((b) => Date.parse(b.start) / 1000);
    const data: uPlot.AlignedData = [xs, buckets.map((b) => conv(b.min)), buckets.map((b) => conv(b.avg)), buckets.map((b) => conv(b.max))];
    const color = vesselColor(vehicleId);
    this.plot?.destroy();
    this.plot = new uPlot(
      {
        width: this.width(),
        height: HEIGHT,
        // The range asked for, not the data's: one bucket would otherwise span years.
        scales: { x: { time: true, range: [Date.parse(from) / 1000, Date.parse(to) / 1000] } },
        series: [
          {},
          { label: `min (${unit})`, stroke: color, width: 1, dash: [4, 4] },
          { label: `mean (${unit})`, stroke: color, width: 2 },
          { label: `max (${unit})`, stroke: color, width: 1, dash: [4, 4] },
        ],
        axes: [{ stroke: '#5b6472' }, { stroke: '#5b6472', size: 56 }],
        legend: { live: false },
      },
      data,
      this.chartEl,
    );
    this.chartEl.dataset.points = String(buckets.length);
  }

  private drawMissions(missions: Mission[]): void {
    const rows = missions.map((m) =>
      h(
        'tr',
        {},
        h('td', {}, new Date(m.start).toLocaleString()),
        h('td', {}, m.end ? duration(m.durationSeconds) : 'under way'),
        h('td', {}, this.units.distance(m.distanceMeters)),
        h('td', {}, this.units.speed(m.maxSpeed)),
        h('td', {}, m.batteryUsedVolts === null ? '–' : `${m.batteryUsedVolts.toFixed(2)} V`),
      ),
    );
    const empty = h('tr', {}, h('td', { colspan: '5', class: 'empty' }, 'No mission (armed to disarmed) in this range.'));
    this.missionsEl.querySelector('tbody')!.replaceChildren(...(rows.length ? rows : [empty]));
  }
}

function duration(s: number): string {
  const m = Math.round(s / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** The value a datetime-local input takes: local time, to the minute. */
function localInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
