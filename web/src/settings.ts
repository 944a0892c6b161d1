// The service's settings for this page (MAP_TILE_URL, …), read at each load from /config.json:
// the bundle is built once, the settings change with each start of the service.

export interface DashboardSettings {
  /** '' = no tiles: the map shows its offline grid only. */
  mapTileUrl: string;
  mapTileAttribution: string;
}

const NONE: DashboardSettings = { mapTileUrl: '', mapTileAttribution: '' };

export async function loadSettings(): Promise<DashboardSettings> {
  try {
    const res = await fetch('/config.json', { headers: { accept: 'application/json' } });
    if (!res.ok) return NONE;
    const body = (await res.json()) as Partial<DashboardSettings>;
    return {
      mapTileUrl: typeof body.mapTileUrl === 'string' ? body.mapTileUrl : '',
      mapTileAttribution: typeof body.mapTileAttribution === 'string' ? body.mapTileAttribution : '',
    };
  } catch {
    // An older service without the route, or none reachable: a map without tiles still works.
    return NONE;
  }
}
