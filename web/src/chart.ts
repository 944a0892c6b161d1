// A live chart of one chosen value, one line per vessel (per vessel and sensor for sensor data).
// uPlot draws to a canvas; #chart carries `data-points` so tests and scripts can read the count.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Units } from './units.js';
import type { Log } from './types.js';
import { scheduler, vesselColor } from './util.js';

const MAX_POINTS = 300; // per series
const HEIGHT = 290;
const VEHICLE_FIELDS = { speed: 'speed', battery_voltage: 'batteryVoltage', rssi: 'rssi' } as const;

interface Series {
  label: string;
  color: string;
  points: [t: number, v: number][]; // t in seconds, sorted
}

export class LiveChart {
  /** field → series key → samples; every field is kept so switching the select shows history. */
  private readonly data = new Map<string, Map<string, Series>>();
  private plot: uPlot | undefined;
  private plotKeys = '';
  private readonly redraw = scheduler(() => this.draw());

  constructor(
    private readonly container: HTMLElement,
    private readonly select: HTMLSelectElement,
    private readonly caption: HTMLElement,
    private readonly units: Units,
  ) {
    select.addEventListener('change', () => this.draw());
    units.onChange(() => this.draw());
    new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: HEIGHT })).observe(container);
    this.draw();
  }

  add(log: Log): void {
    const t = Date.parse(log.timestamp) / 1000;
    if (!Number.isFinite(t)) return;
    if (log.__typename === 'VehicleLog') {
      for (const field of Object.keys(VEHICLE_FIELDS) as (keyof typeof VEHICLE_FIELDS)[]) {
        const v = log[VEHICLE_FIELDS[field]];
        if (typeof v === 'number') this.push(field, String(log.vehicleId), `vessel ${log.vehicleId}`, log.vehicleId, t, v);
      }
    } else if (log.__typename === 'SensorLog' && log.data && typeof log.data === 'object') {
      for (const [name, v] of Object.entries(log.data as Record<string, unknown>)) {
        if (typeof v !== 'number' || !Number.isFinite(v)) continue;
        const field = `sensor.${name}`;
        if (!this.data.has(field)) this.select.append(new Option(`sensor: ${name}`, field));
        this.push(field, `${log.vehicleId}/${log.sensorId}`, `vessel ${log.vehicleId} · sensor ${log.sensorId}`, log.vehicleId, t, v);
      }
    }
  }

  private push(field: string, key: string, label: string, vehicleId: number, t: number, v: number): void {
    let bySeries = this.data.get(field);
    if (!bySeries) this.data.set(field, (bySeries = new Map()));
    let s = bySeries.get(key);
    if (!s) bySeries.set(key, (s = { label, color: vesselColor(vehicleId), points: [] }));
    // Vessel clocks can step back and replays interleave: insert in time order, uPlot needs it.
    let i = s.points.length;
    while (i > 0 && s.points[i - 1]![0] > t) i--;
    s.points.splice(i, 0, [t, v]);
    if (s.points.length > MAX_POINTS) s.points.shift();
    if (field === this.select.value) this.redraw();
  }

  private width(): number {
    return Math.max(200, this.container.clientWidth);
  }

  private draw(): void {
    const field = this.select.value;
    // Samples are kept as sent (m/s); the chosen unit applies when drawing.
    const speedOption = this.select.querySelector<HTMLOptionElement>('option[value="speed"]');
    if (speedOption) speedOption.textContent = `speed (${this.units.speedUnit})`;
    const shown = field === 'speed' ? (v: number) => this.units.speedValue(v) : (v: number) => v;
    const series = [...(this.data.get(field)?.entries() ?? [])].sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }));
    // uPlot wants one shared x array: the union of all times, with null where a series has no sample.
    const xs = [...new Set(series.flatMap(([, s]) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
    const index = new Map(xs.map((x, i) => [x, i]));
    const ys = series.map(([, s]) => {
      const y: (number | null)[] = new Array<number | null>(xs.length).fill(null);
      for (const [t, v] of s.points) y[index.get(t)!] = shown(v);
      return y;
    });
    const count = series.reduce((n, [, s]) => n + s.points.length, 0);
    this.container.dataset.points = String(count);
    this.container.dataset.field = field;
    this.caption.textContent = `${count} points`;

    const keys = series.map(([k]) => k).join('|');
    if (!this.plot || keys !== this.plotKeys) {
      // A new vessel means a new series: rebuilding is simpler than uPlot's addSeries, and rare.
      this.plot?.destroy();
      this.plotKeys = keys;
      this.plot = new uPlot(
        {
          width: this.width(),
          height: HEIGHT,
          scales: { x: { time: true } },
          series: [{}, ...series.map(([, s]) => ({ label: s.label, stroke: s.color, width: 1.5, spanGaps: true, points: { show: false } }))],
          axes: [{ stroke: '#5b6472' }, { stroke: '#5b6472', size: 56 }],
          legend: { live: false },
        },
        [xs, ...ys],
        this.container,
      );
    } else {
      this.plot.setData([xs, ...ys]);
    }
  }
}
