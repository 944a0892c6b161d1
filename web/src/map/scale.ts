// A scale bar in the operator's units (nautical miles or kilometres): Leaflet's own knows only
// metric and imperial. Measured across the middle of the map, where distortion is the mean.
import * as L from 'leaflet';
import type { Units } from '../units.js';

const MAX_PX = 140;

export function scaleBar(map: L.Map, units: Units): L.Control {
  const control = new L.Control({ position: 'bottomleft' });
  control.onAdd = () => {
    const el = L.DomUtil.create('div', 'scale-bar');
    const bar = L.DomUtil.create('div', 'scale-line', el);
    const text = L.DomUtil.create('span', 'scale-text', bar);
    const update = () => {
      const size = map.getSize();
      if (!size.x) return;
      const y = size.y / 2;
      const x = Math.max(0, size.x / 2 - 50);
      const metresPerPx = map.distance(map.containerPointToLatLng([x, y]), map.containerPointToLatLng([x + 100, y])) / 100;
      if (!(metresPerPx > 0)) return;
      const { px, label } = units.scaleBar(metresPerPx, MAX_PX);
      bar.style.width = `${px.toFixed(0)}px`;
      text.textContent = label;
    };
    map.on('move zoom resize', update);
    units.onChange(update);
    map.whenReady(update);
    return el;
  };
  return control.addTo(map);
}
