// Map tiles from MAP_TILE_URL when the operator's browser can reach that server. On a boat's
// network it often cannot: once a whole screenful of tiles has failed, the layer is taken off
// (no request per pan and zoom that can only fail) and tried again a few minutes later.
// The map's element says which state it is in (`data-tiles`), and CSS shows the offline grid.
import * as L from 'leaflet';
import type { DashboardSettings } from '../settings.js';

export type TileState = 'off' | 'loading' | 'ok' | 'unreachable';

const RETRY_MS = 3 * 60_000;
const OFFLINE_NOTE = 'map tiles unreachable: offline grid';

export function addTiles(map: L.Map, settings: DashboardSettings, onState: (s: TileState) => void): void {
  if (!settings.mapTileUrl) return onState('off');
  const layer = L.tileLayer(settings.mapTileUrl, {
    // Plain text from the operator's setting, shown as text (Leaflet would take it as HTML).
    attribution: escapeHtml(settings.mapTileAttribution),
    maxZoom: 19,
    crossOrigin: false,
  });
  let ok = 0;
  let failed = 0;
  let noted = false; // Leaflet counts each addAttribution: add and remove the note once each
  const note = (on: boolean) => {
    if (on === noted) return;
    noted = on;
    if (on) map.attributionControl.addAttribution(OFFLINE_NOTE);
    else map.attributionControl.removeAttribution(OFFLINE_NOTE);
  };
  layer.on('tileload', () => {
    ok++;
    note(false);
    onState('ok');
  });
  layer.on('tileerror', () => failed++);
  layer.on('load', () => {
    if (ok > 0 || failed === 0) return;
    onState('unreachable');
    note(true);
    // Not from inside the event: Leaflet still reads the layer's map right after firing it.
    setTimeout(() => map.removeLayer(layer));
    setTimeout(() => {
      failed = 0;
      ok = 0;
      onState('loading');
      layer.addTo(map);
    }, RETRY_MS);
  });
  onState('loading');
  layer.addTo(map);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
