// The fleet on a map (Leaflet): each vessel's recent track and its position, an arrow when its
// heading is known. Tiles when reachable; a graticule and a scale bar always, so the map still
// gives place offline. The view follows the tracks until the operator pans or zooms; "Fit"
// brings that back.
import * as L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import type { DashboardSettings } from '../settings.js';
import type { Units } from '../units.js';
import { scheduler, vesselColor } from '../util.js';
import { Graticule } from './graticule.js';
import { scaleBar } from './scale.js';
import { addTiles } from './tiles.js';

const MAX_POINTS = 500; // per vessel: minutes of history at a few Hz, cheap to redraw
const FIT_MAX_ZOOM = 16; // one stationary vessel: a harbour's scale, not a single bollard

export interface TrackPoint {
  latitude: number;
  longitude: number;
}

interface Vessel {
  points: L.LatLng[];
  heading: number | null;
  drawnHeading: number | null | undefined;
  line: L.Polyline;
  marker: L.Marker;
}

export class FleetMap {
  readonly map: L.Map;
  private readonly vessels = new Map<number, Vessel>();
  private readonly graticule: Graticule;
  private readonly empty: HTMLElement;
  private history: L.FeatureGroup | undefined;
  private follow = true;
  private fitting = false;
  private readonly redraw = scheduler(() => this.draw());

  constructor(private readonly container: HTMLElement, settings: DashboardSettings, units: Units) {
    this.map = L.map(container, { zoomControl: false, worldCopyJump: true, minZoom: 2 }).setView([0, 0], 2);
    L.control.zoom({ position: 'topright' }).addTo(this.map);
    this.fitControl();
    scaleBar(this.map, units);
    addTiles(this.map, settings, (s) => (container.dataset.tiles = s));
    this.graticule = new Graticule(this.map);
    this.empty = L.DomUtil.create('div', 'map-empty', container);
    this.empty.textContent = 'No positions yet: vessels appear here with their first latitude and longitude.';
    // The operator took over the view: stop fitting until they ask again.
    this.map.on('zoomstart movestart', () => {
      if (!this.fitting) this.follow = false;
    });
    new ResizeObserver(() => this.map.invalidateSize()).observe(container);
    this.graticule.redraw();
  }

  add(vehicleId: number, lat: number, lon: number, heading: number | null): void {
    const v = this.vessels.get(vehicleId) ?? this.addVessel(vehicleId);
    v.points.push(L.latLng(lat, lon));
    if (v.points.length > MAX_POINTS) v.points.splice(0, v.points.length - MAX_POINTS);
    if (heading !== null) v.heading = heading;
    this.redraw();
  }

  /** A stored track (the history view), drawn dashed over the live ones; [] clears it. */
  showHistory(vehicleId: number, points: TrackPoint[]): void {
    this.history?.remove();
    this.history = undefined;
    if (!points.length) return;
    const latlngs = points.map((p) => L.latLng(p.latitude, p.longitude));
    const color = vesselColor(vehicleId);
    this.history = L.featureGroup([
      L.polyline(latlngs, { color, weight: 3, dashArray: '6 6', className: `history-track vessel-${vehicleId}` }),
      L.circleMarker(latlngs[0]!, { radius: 5, color, fillColor: '#fff', fillOpacity: 1, className: 'history-start' }),
      L.circleMarker(latlngs.at(-1)!, { radius: 5, color, fillColor: color, fillOpacity: 1, className: 'history-end' }),
    ]).addTo(this.map);
    this.follow = false;
    this.fit(this.history.getBounds());
  }

  private addVessel(id: number): Vessel {
    const color = vesselColor(id);
    const v: Vessel = {
      points: [],
      heading: null,
      drawnHeading: undefined,
      line: L.polyline([], { color, weight: 3, opacity: 0.85, className: `trail vessel-${id}`, interactive: false }),
      marker: L.marker([0, 0], { keyboard: false, title: `Vessel ${id}`, icon: vesselIcon(id, null) }),
    };
    v.line.addTo(this.map);
    v.marker.bindTooltip(String(id), { permanent: true, direction: 'right', offset: [10, -8], className: 'vessel-label' });
    this.vessels.set(id, v);
    return v;
  }

  private draw(): void {
    for (const [id, v] of this.vessels) {
      const last = v.points.at(-1);
      if (!last) continue;
      v.line.setLatLngs(v.points);
      v.marker.setLatLng(last);
      if (v.drawnHeading !== v.heading) v.marker.setIcon(vesselIcon(id, (v.drawnHeading = v.heading)));
      if (!this.map.hasLayer(v.marker)) v.marker.addTo(this.map);
    }
    this.container.dataset.vessels = String(this.vessels.size);
    this.empty.hidden = this.vessels.size > 0;
    if (this.follow) this.fitTracks();
  }

  private fitTracks(): void {
    const all = [...this.vessels.values()].flatMap((v) => v.points);
    if (all.length) this.fit(L.latLngBounds(all));
  }

  private fit(bounds: L.LatLngBounds): void {
    this.fitting = true;
    try {
      // Clear of the labels on the left and top and of the controls on the right.
      this.map.fitBounds(bounds, { paddingTopLeft: [70, 36], paddingBottomRight: [64, 36], maxZoom: FIT_MAX_ZOOM, animate: false });
    } finally {
      this.fitting = false;
    }
  }

  private fitControl(): void {
    const control = new L.Control({ position: 'topright' });
    control.onAdd = () => {
      const button = L.DomUtil.create('button', 'map-fit leaflet-bar');
      button.type = 'button';
      button.textContent = 'Fit';
      button.title = 'Fit the map to the tracks and follow them';
      L.DomEvent.disableClickPropagation(button);
      button.addEventListener('click', () => {
        this.follow = true;
        this.history ? this.fit(this.history.getBounds().extend(this.liveBounds())) : this.fitTracks();
      });
      return button;
    };
    control.addTo(this.map);
  }

  private liveBounds(): L.LatLngBounds {
    const b = L.latLngBounds([]);
    for (const v of this.vessels.values()) for (const p of v.points) b.extend(p);
    return b;
  }
}

/** An arrow when the heading is known, else a dot: a guessed direction would mislead. */
function vesselIcon(id: number, heading: number | null): L.DivIcon {
  const color = vesselColor(id);
  const shape =
    heading === null
      ? `<circle r="6" fill="${color}"/>`
      : `<path d="M0,-11 L7,8 L0,4 L-7,8 Z" fill="${color}" transform="rotate(${heading.toFixed(0)})"/>`;
  return L.divIcon({
    className: 'vessel-marker',
    html: `<svg width="28" height="28" viewBox="-14 -14 28 28" data-vehicle-id="${id}">${shape}</svg>`,
    iconSize: [28, 28],
    iconAnchor: [14, 14],
  });
}
