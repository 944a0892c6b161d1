// Each vessel's recent track as SVG, with no map tiles (the service may run with no internet): an
// equirectangular projection of a bounding box fitted to all points, so shapes keep their aspect.
import { scheduler, svg, vesselColor } from './util.js';

const MAX_POINTS = 500; // per vessel: minutes of history at a few Hz, cheap to redraw
const PAD = 36;
const MIN_SPAN_DEG = 0.002; // ~200 m: one stationary vessel still gets a sensible scale
const M_PER_DEG = 111_320;

interface Track {
  points: [lat: number, lon: number][];
  heading: number | null;
}

export class TrackView {
  private readonly tracks = new Map<number, Track>();
  private readonly redraw = scheduler(() => this.draw());
  private width = 0;

  constructor(private readonly root: SVGSVGElement) {
    // Drawn in CSS pixels of its own size, so labels stay readable on a phone as on a wall screen.
    new ResizeObserver(() => Math.round(root.clientWidth) !== this.width && this.redraw()).observe(root);
    this.draw();
  }

  add(vehicleId: number, lat: number, lon: number, heading: number | null): void {
    let t = this.tracks.get(vehicleId);
    if (!t) this.tracks.set(vehicleId, (t = { points: [], heading: null }));
    t.points.push([lat, lon]);
    if (t.points.length > MAX_POINTS) t.points.splice(0, t.points.length - MAX_POINTS);
    if (heading !== null) t.heading = heading;
    this.redraw();
  }

  private draw(): void {
    const W = (this.width = Math.round(this.root.clientWidth) || 800);
    const H = Math.min(520, Math.max(220, Math.round(W * 0.62)));
    this.root.setAttribute('viewBox', `0 0 ${W} ${H}`);
    const all = [...this.tracks.values()].flatMap((t) => t.points);
    const children: SVGElement[] = [svg('rect', { class: 'sea', width: W, height: H })];
    if (all.length === 0) {
      const empty = svg('text', { x: W / 2, y: H / 2, class: 'empty-text', 'text-anchor': 'middle' });
      empty.textContent = 'No positions yet';
      this.root.replaceChildren(...children, empty);
      return;
    }
    const lats = all.map((p) => p[0]);
    const lons = all.map((p) => p[1]);
    let [s, n, w, e] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
    const midLat = (s + n) / 2;
    const k = Math.cos((midLat * Math.PI) / 180); // a degree of longitude is shorter away from the equator
    if (n - s < MIN_SPAN_DEG) [s, n] = [midLat - MIN_SPAN_DEG / 2, midLat + MIN_SPAN_DEG / 2];
    if ((e - w) * k < MIN_SPAN_DEG) [w, e] = [(w + e) / 2 - MIN_SPAN_DEG / (2 * k), (w + e) / 2 + MIN_SPAN_DEG / (2 * k)];
    const scale = Math.min((W - 2 * PAD) / ((e - w) * k), (H - 2 * PAD) / (n - s)); // px per degree of latitude
    const x0 = (W - (e - w) * k * scale) / 2;
    const y0 = (H - (n - s) * scale) / 2;
    const project = (lat: number, lon: number): [number, number] => [x0 + (lon - w) * k * scale, y0 + (n - lat) * scale];

    const unproject = (x: number, y: number): [number, number] => [n - (y - y0) / scale, w + (x - x0) / (k * scale)];
    children.push(...this.scaleBar(scale, H), ...this.corners(unproject(0, 0), unproject(W, H), W, H));
    for (const [id, t] of [...this.tracks].sort((a, b) => a[0] - b[0])) {
      const color = vesselColor(id);
      const xy = t.points.map(([lat, lon]) => project(lat, lon));
      children.push(
        svg('polyline', {
          'data-vehicle-id': id,
          points: xy.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' '),
          stroke: color,
          class: 'trail',
        }),
      );
      const [x, y] = xy[xy.length - 1]!;
      const marker = svg('g', { class: 'marker', 'data-vehicle-id': id, transform: `translate(${x.toFixed(1)},${y.toFixed(1)})` });
      // An arrow when the heading is known, else a dot: a guessed direction would mislead.
      marker.append(
        t.heading === null
          ? svg('circle', { r: 6, fill: color })
          : svg('path', { d: 'M0,-11 L7,8 L0,4 L-7,8 Z', fill: color, transform: `rotate(${t.heading.toFixed(0)})` }),
      );
      const label = svg('text', { x: 11, y: -9, class: 'label' });
      label.textContent = String(id);
      marker.append(label);
      children.push(marker);
    }
    this.root.replaceChildren(...children);
  }

  /** A 1-2-5 length near 120 px, so distances can be read without a map. */
  private scaleBar(pxPerDeg: number, H: number): SVGElement[] {
    const mPerPx = M_PER_DEG / pxPerDeg;
    const target = mPerPx * 120;
    const pow = 10 ** Math.floor(Math.log10(target));
    const metres = [5, 2, 1].map((m) => m * pow).find((m) => m <= target) ?? pow;
    const px = metres / mPerPx;
    const label = svg('text', { x: 16 + px / 2, y: H - 20, 'text-anchor': 'middle', class: 'scale-text' });
    label.textContent = metres >= 1000 ? `${metres / 1000} km` : `${metres} m`;
    return [svg('path', { d: `M16,${H - 14} v6 h${px.toFixed(1)} v-6`, class: 'scale' }), label];
  }

  /** The coordinates of the drawing's top-left and bottom-right corners. */
  private corners([n, w]: [number, number], [s, e]: [number, number], W: number, H: number): SVGElement[] {
    const t = (x: number, y: number, anchor: string, value: string) => {
      const el = svg('text', { x, y, 'text-anchor': anchor, class: 'coord' });
      el.textContent = value;
      return el;
    };
    return [t(8, 16, 'start', `${n.toFixed(4)}, ${w.toFixed(4)}`), t(W - 8, H - 8, 'end', `${s.toFixed(4)}, ${e.toFixed(4)}`)];
  }
}
