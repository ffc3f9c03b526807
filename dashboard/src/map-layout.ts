/**
 * Pure geometry of the schematic map: sites placed by their coordinates on an SVG (no map tiles,
 * nothing fetched from the internet), a scale bar, and labels put where they cover no other
 * label or marker. Schools of one district lie within a few kilometres, so an equirectangular
 * projection with the longitude scaled by cos(latitude) is exact enough for a schematic.
 */

export interface MapSite {
  id: string;
  lat: number;
  lon: number;
  label: string;
}

export interface MapBox {
  width: number;
  height: number;
  /** Room kept free around the outermost markers (for their labels). */
  pad: number;
  /** More room at the bottom (the scale bar's strip); default `pad`. */
  padBottom?: number;
}

export interface PlacedSite {
  id: string;
  x: number;
  y: number;
  label: { x: number; y: number; anchor: 'start' | 'middle' | 'end' };
}

export interface MapLayout {
  sites: PlacedSite[];
  /** Kilometres per SVG unit, for the scale bar. */
  kmPerUnit: number;
}

export interface LabelStyle {
  /** Font size in SVG units. */
  fontSize: number;
  /** Marker radius in SVG units. */
  radius: number;
}

const KM_PER_DEG_LAT = 111.32;
/** A single school (a school user's map) still gets a few kilometres around it. */
const MIN_SPAN_DEG = 0.02;

export function hasLocation(loc: { lat: number; lon: number } | undefined): loc is { lat: number; lon: number } {
  return !!loc && Number.isFinite(loc.lat) && Number.isFinite(loc.lon) && Math.abs(loc.lat) <= 90 && Math.abs(loc.lon) <= 180;
}

/** Map coordinates of every site, fitted into the box (north up), centred. */
export function project(sites: readonly MapSite[], box: MapBox): { points: Map<string, { x: number; y: number }>; kmPerUnit: number } {
  const points = new Map<string, { x: number; y: number }>();
  if (sites.length === 0) return { points, kmPerUnit: 0 };
  const lats = sites.map((s) => s.lat);
  const lons = sites.map((s) => s.lon);
  const midLat = (Math.min(...lats) + Math.max(...lats)) / 2;
  const k = Math.cos((midLat * Math.PI) / 180);
  // In "latitude degrees": x is longitude shrunk by cos(lat), so a kilometre is as long both ways.
  let x0 = Math.min(...lons) * k;
  let x1 = Math.max(...lons) * k;
  let y0 = Math.min(...lats);
  let y1 = Math.max(...lats);
  if (x1 - x0 < MIN_SPAN_DEG) [x0, x1] = [(x0 + x1) / 2 - MIN_SPAN_DEG / 2, (x0 + x1) / 2 + MIN_SPAN_DEG / 2];
  if (y1 - y0 < MIN_SPAN_DEG) [y0, y1] = [(y0 + y1) / 2 - MIN_SPAN_DEG / 2, (y0 + y1) / 2 + MIN_SPAN_DEG / 2];
  const innerW = box.width - 2 * box.pad;
  const innerH = box.height - box.pad - (box.padBottom ?? box.pad);
  const scale = Math.min(innerW / (x1 - x0), innerH / (y1 - y0));
  const offX = box.pad + (innerW - (x1 - x0) * scale) / 2;
  const offY = box.pad + (innerH - (y1 - y0) * scale) / 2;
  for (const s of sites) {
    points.set(s.id, { x: round(offX + (s.lon * k - x0) * scale), y: round(offY + (y1 - s.lat) * scale) });
  }
  return { points, kmPerUnit: KM_PER_DEG_LAT / scale };
}

/** Rough width of a label: CJK characters are a full em, others a bit over half. */
export function labelWidth(text: string, fontSize: number): number {
  let em = 0;
  for (const ch of text) em += (ch.codePointAt(0) ?? 0) >= 0x2e80 ? 1 : 0.58;
  return em * fontSize;
}

interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

const overlap = (a: Rect, b: Rect) => Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0)) * Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));

/**
 * Places every site and its label: each label tries the right of its marker, then the left,
 * above, below and the diagonals, and takes the first that covers nothing (else the one that
 * covers least). Sites are placed in the given order, so the layout does not move when a
 * school's state changes.
 */
export function layoutMap(sites: readonly MapSite[], box: MapBox, style: LabelStyle): MapLayout {
  const { points, kmPerUnit } = project(sites, box);
  const { fontSize: f, radius: r } = style;
  const gap = r + 5;
  const markers: Rect[] = [...points.values()].map((p) => ({ x0: p.x - r - 2, y0: p.y - r - 2, x1: p.x + r + 2, y1: p.y + r + 2 }));
  const taken: Rect[] = [];
  const out: PlacedSite[] = [];
  for (const s of sites) {
    const p = points.get(s.id);
    if (!p) continue;
    const w = labelWidth(s.label, f);
    const h = f * 1.2;
    // Text baseline sits ~0.35 em below the middle of its box.
    const candidates: { x: number; y: number; anchor: 'start' | 'middle' | 'end' }[] = [
      { x: p.x + gap, y: p.y + f * 0.35, anchor: 'start' },
      { x: p.x - gap, y: p.y + f * 0.35, anchor: 'end' },
      { x: p.x, y: p.y - gap - f * 0.25, anchor: 'middle' },
      { x: p.x, y: p.y + gap + f * 0.95, anchor: 'middle' },
      { x: p.x + r, y: p.y - r - f * 0.2, anchor: 'start' },
      { x: p.x + r, y: p.y + r + f * 0.95, anchor: 'start' },
      { x: p.x - r, y: p.y - r - f * 0.2, anchor: 'end' },
      { x: p.x - r, y: p.y + r + f * 0.95, anchor: 'end' },
    ];
    let best = candidates[0] ?? { x: p.x + gap, y: p.y, anchor: 'start' as const };
    let bestRect: Rect | undefined;
    let bestScore = Number.POSITIVE_INFINITY;
    for (const c of candidates) {
      const left = c.anchor === 'start' ? c.x : c.anchor === 'end' ? c.x - w : c.x - w / 2;
      const rect = { x0: left, y0: c.y - f * 0.95, x1: left + w, y1: c.y - f * 0.95 + h };
      let score = 0;
      for (const t of taken) score += overlap(rect, t);
      for (const m of markers) score += overlap(rect, m);
      // Outside the drawing: cut off on screen.
      score += (Math.max(0, -rect.x0) + Math.max(0, rect.x1 - box.width) + Math.max(0, -rect.y0) + Math.max(0, rect.y1 - box.height)) * h * 4;
      if (score < bestScore) {
        bestScore = score;
        best = c;
        bestRect = rect;
      }
      if (score === 0) break;
    }
    if (bestRect) taken.push(bestRect);
    out.push({ id: s.id, x: p.x, y: p.y, label: { x: round(best.x), y: round(best.y), anchor: best.anchor } });
  }
  return { sites: out, kmPerUnit };
}

/** A round scale-bar length (0.5, 1, 2, 5 km…) at most `maxUnits` long on the map. */
export function scaleBar(kmPerUnit: number, maxUnits: number): { km: number; units: number } | undefined {
  if (!(kmPerUnit > 0)) return undefined;
  const maxKm = kmPerUnit * maxUnits;
  const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100];
  const km = [...steps].reverse().find((s) => s <= maxKm);
  return km === undefined ? undefined : { km, units: round(km / kmPerUnit) };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
