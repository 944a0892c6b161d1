// Lines of latitude and longitude with their values at the map's edges, as on a paper chart:
// with no tiles (no internet on board) they are what gives the tracks a place. The spacing is a
// round number of degrees or minutes, chosen so lines stay about 80-200 px apart at any zoom.
import * as L from 'leaflet';
import { formatAngle, pickStep, wrap } from './angles.js';

const MIN_GAP_PX = { lat: 70, lon: 110 }; // longitude labels are wider

export class Graticule {
  private readonly lines = L.layerGroup();
  private readonly labels: HTMLElement;
  private steps = { lat: 60, lon: 60 };

  constructor(private readonly map: L.Map) {
    this.lines.addTo(map);
    this.labels = L.DomUtil.create('div', 'graticule-labels', map.getContainer());
    this.labels.setAttribute('aria-hidden', 'true');
    // Lines are drawn over a padded extent when a move ends; labels follow every frame of a move.
    map.on('moveend zoomend resize viewreset', () => this.drawLines());
    map.on('move zoom resize', () => this.drawLabels());
  }

  redraw(): void {
    this.drawLines();
  }

  private drawLines(): void {
    const size = this.map.getSize();
    const b = this.map.getBounds();
    if (!size.x || !size.y) return;
    this.steps = {
      lat: pickStep((MIN_GAP_PX.lat * (b.getNorth() - b.getSouth())) / size.y),
      lon: pickStep((MIN_GAP_PX.lon * (b.getEast() - b.getWest())) / size.x),
    };
    const pad = b.pad(1);
    const [s, n] = [Math.max(-85, pad.getSouth()), Math.min(85, pad.getNorth())];
    const [w, e] = [pad.getWest(), pad.getEast()];
    const style: L.PolylineOptions = { className: 'graticule-line', interactive: false, weight: 1 };
    const paths: L.LatLng[][] = [];
    for (const lat of multiples(s, n, this.steps.lat / 60)) paths.push([L.latLng(lat, w), L.latLng(lat, e)]);
    for (const lon of multiples(w, e, this.steps.lon / 60)) paths.push([L.latLng(s, lon), L.latLng(n, lon)]);
    this.lines.clearLayers();
    this.lines.addLayer(L.polyline(paths, style));
    this.drawLabels();
  }

  private drawLabels(): void {
    const b = this.map.getBounds();
    const c = b.getCenter();
    const size = this.map.getSize();
    const out: HTMLElement[] = [];
    for (const lat of multiples(b.getSouth(), b.getNorth(), this.steps.lat / 60)) {
      const y = this.map.latLngToContainerPoint([lat, c.lng]).y;
      if (y > 14 && y < size.y - 48) out.push(label('lat', formatAngle(lat, this.steps.lat, 'N', 'S'), `top:${y.toFixed(0)}px`));
    }
    for (const lon of multiples(b.getWest(), b.getEast(), this.steps.lon / 60)) {
      const x = this.map.latLngToContainerPoint([c.lat, lon]).x;
      if (x > 40 && x < size.x - 60) out.push(label('lon', formatAngle(wrap(lon), this.steps.lon, 'E', 'W'), `left:${x.toFixed(0)}px`));
    }
    this.labels.replaceChildren(...out);
  }
}

function label(axis: 'lat' | 'lon', text: string, style: string): HTMLElement {
  const el = L.DomUtil.create('span', `graticule-label ${axis}`);
  el.style.cssText = style;
  el.textContent = text;
  return el;
}

function multiples(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  // Integer steps, so 0.1′ lines do not drift by float error over a long span.
  for (let i = Math.ceil(from / step); i * step <= to && out.length < 200; i++) out.push(Number((i * step).toFixed(9)));
  return out;
}
