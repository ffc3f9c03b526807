/**
 * Picture checks on tiny grayscale frames (media-probe.ts makes them with ffmpeg's area
 * scaler). Pure functions: a frame is a Uint8Array of luma values, row by row.
 *
 * - black: mean luma below a threshold (covered lens, dead sensor, night without IR).
 * - frozen: no pixel moved by more than a few levels, between two looks that should differ
 *   (a camera's on-screen clock changes every second; so does the simulator's test pattern).
 * - changed: low correlation with the stored reference picture (camera turned, lens blocked).
 *   Zero-mean normalised cross-correlation ignores overall brightness and contrast, so dusk
 *   and auto-exposure do not count as a moved camera.
 */
import type { Scalar } from '../../gateway/contract/types.js';
import type { HealthReasonCode } from '../../gateway/contract/vocabulary.js';

export interface PictureThresholds {
  /** Mean luma (0–1) below which the picture is black. */
  blackThreshold: number;
  /** Largest per-pixel difference (0–255) at which two pictures still count as the same. */
  frozenMaxDelta: number;
  /** Compare the first and last frame of one look only if they are at least this far apart. */
  frozenMinSpanMs: number;
  /** Dissimilarity (1 − correlation, 0–2) to the reference above which the view changed. */
  changedThreshold: number;
}

export interface PictureInput {
  current: Uint8Array;
  /** First frame of the same look, and how long before `current` it was taken. */
  first?: Uint8Array;
  spanMs?: number;
  /** The picture of the previous check. */
  previous?: Uint8Array;
  reference?: Uint8Array;
}

export interface PictureVerdict {
  reasons: { code: HealthReasonCode; detail: string }[];
  evidence: Record<string, Scalar>;
  /** Good enough to become the reference when there is none. */
  usableAsReference: boolean;
}

export function meanLuma(f: Uint8Array): number {
  let sum = 0;
  for (const v of f) sum += v;
  return f.length === 0 ? 0 : sum / f.length / 255;
}

export function maxAbsDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return 255;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] ?? 0) - (b[i] ?? 0));
    if (d > max) max = d;
  }
  return max;
}

/** 1 − zero-mean normalised cross-correlation: 0 same scene, ~1 unrelated, 2 inverted. */
export function dissimilarity(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length || a.length === 0) return 1;
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] ?? 0;
    mb += b[i] ?? 0;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = (a[i] ?? 0) - ma;
    const y = (b[i] ?? 0) - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  // A flat picture has no structure to correlate: same only if both are flat and alike.
  const flat = n * 4; // variance below 4 levels² per pixel
  if (saa < flat || sbb < flat) return saa < flat && sbb < flat && Math.abs(ma - mb) < 8 ? 0 : 1;
  return 1 - sab / Math.sqrt(saa * sbb);
}

const round = (v: number, digits = 3) => Math.round(v * 10 ** digits) / 10 ** digits;

/** Applies the three picture checks; at most one picture reason, the most basic first. */
export function judgePicture(p: PictureInput, t: PictureThresholds): PictureVerdict {
  const evidence: Record<string, Scalar> = {};
  const luma = meanLuma(p.current);
  evidence['pictureLuma'] = round(luma);
  if (luma < t.blackThreshold) {
    return {
      reasons: [{ code: 'image-black', detail: `mean luma ${round(luma, 2)} below ${t.blackThreshold} (lens covered or no light)` }],
      evidence,
      usableAsReference: false,
    };
  }
  let frozen: string | undefined;
  if (p.first && p.spanMs !== undefined && p.spanMs >= t.frozenMinSpanMs) {
    const d = maxAbsDiff(p.first, p.current);
    evidence['pictureMotion'] = d;
    if (d <= t.frozenMaxDelta) frozen = `picture did not change over ${round(p.spanMs / 1000, 1)} s of video`;
  }
  if (p.previous) {
    const d = maxAbsDiff(p.previous, p.current);
    evidence['pictureDiffPrevious'] = d;
    if (d <= t.frozenMaxDelta) frozen ??= 'picture identical to the previous check';
  }
  const reasons: PictureVerdict['reasons'] = [];
  if (frozen) reasons.push({ code: 'image-frozen', detail: frozen });
  if (p.reference) {
    const d = dissimilarity(p.reference, p.current);
    evidence['pictureDiffReference'] = round(d);
    if (d > t.changedThreshold) {
      reasons.push({ code: 'image-changed', detail: `view differs from the reference picture (${round(d, 2)} > ${t.changedThreshold}): camera moved or obstructed` });
    }
  }
  return { reasons, evidence, usableAsReference: reasons.length === 0 };
}

/** Binary PGM (Netpbm P5): our reference pictures stay viewable with any image tool. */
export function encodePgm(data: Uint8Array, width: number, height: number): Buffer {
  return Buffer.concat([Buffer.from(`P5\n${width} ${height}\n255\n`, 'ascii'), Buffer.from(data)]);
}

export function decodePgm(buf: Buffer): { width: number; height: number; data: Uint8Array } | undefined {
  const m = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(buf.subarray(0, 32).toString('latin1'));
  if (!m) return undefined;
  const width = Number(m[1]);
  const height = Number(m[2]);
  const start = m[0].length;
  if (buf.length - start < width * height) return undefined;
  return { width, height, data: new Uint8Array(buf.subarray(start, start + width * height)) };
}
