import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePgm, dissimilarity, encodePgm, judgePicture, maxAbsDiff, meanLuma, type PictureThresholds } from '../../../../adapters/camera-onvif/picture.js';

const W = 16;
const H = 12;
const T: PictureThresholds = { blackThreshold: 0.1, frozenMaxDelta: 6, frozenMinSpanMs: 1000, changedThreshold: 0.5 };

/** A scene: horizontal gradient with a bright block at column `x`. */
function scene(x: number, brightness = 0): Uint8Array {
  const f = new Uint8Array(W * H);
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) f[r * W + c] = Math.min(255, 40 + c * 8 + brightness + (c >= x && c < x + 3 ? 120 : 0));
  }
  return f;
}

const flat = (v: number) => new Uint8Array(W * H).fill(v);

describe('picture measures', () => {
  it('mean luma is 0 for black and 1 for white', () => {
    expect([meanLuma(flat(0)), meanLuma(flat(255)), meanLuma(new Uint8Array(0))]).toStrictEqual([0, 1, 0]);
  });

  it('max difference is symmetric and 0 only for equal pictures', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), (a, b) => {
        expect(maxAbsDiff(a, b)).toBe(maxAbsDiff(b, a));
        expect(maxAbsDiff(a, b) === 0).toBe(a.every((v, i) => v === b[i]));
      }),
    );
  });

  it('dissimilarity ignores brightness and contrast but not a moved scene', () => {
    const a = scene(2);
    const brighter = scene(2, 30);
    const contrast = a.map((v) => Math.min(255, Math.round(v * 0.8 + 20)));
    expect(dissimilarity(a, a)).toBeCloseTo(0, 6);
    expect(dissimilarity(a, brighter)).toBeLessThan(0.05);
    expect(dissimilarity(a, contrast)).toBeLessThan(0.05);
    expect(dissimilarity(a, a.map((v) => 255 - v))).toBeCloseTo(2, 6);
    expect(dissimilarity(scene(1), scene(12))).toBeGreaterThan(0.5);
  });

  it('flat pictures are the same only when both are flat and alike', () => {
    expect([dissimilarity(flat(50), flat(52)), dissimilarity(flat(50), flat(200)), dissimilarity(flat(50), scene(3))]).toStrictEqual([0, 1, 1]);
  });
});

describe('judgePicture', () => {
  it('passes a live picture and offers it as reference', () => {
    const v = judgePicture({ current: scene(5), first: scene(2), spanMs: 1400, previous: scene(9), reference: scene(5) }, T);
    expect(v).toStrictEqual({
      reasons: [],
      evidence: { pictureLuma: expect.any(Number), pictureMotion: 120, pictureDiffPrevious: 120, pictureDiffReference: 0 },
      usableAsReference: true,
    });
  });

  it('reports a black picture and nothing else', () => {
    const v = judgePicture({ current: flat(10), previous: flat(10), reference: scene(5) }, T);
    expect(v.reasons.map((r) => r.code)).toStrictEqual(['image-black']);
    expect(v.usableAsReference).toBe(false);
  });

  it('reports frozen video within one look that spans long enough', () => {
    const still = scene(4);
    const nearly = still.map((v, i) => (i === 0 ? v + 3 : v));
    expect(judgePicture({ current: nearly, first: still, spanMs: 1400 }, T).reasons).toStrictEqual([
      { code: 'image-frozen', detail: 'picture did not change over 1.4 s of video' },
    ]);
    // Too short a look proves nothing: an on-screen clock changes once a second.
    expect(judgePicture({ current: nearly, first: still, spanMs: 600 }, T).reasons).toStrictEqual([]);
  });

  it('reports a picture identical to the previous check', () => {
    expect(judgePicture({ current: scene(4), previous: scene(4) }, T).reasons).toStrictEqual([
      { code: 'image-frozen', detail: 'picture identical to the previous check' },
    ]);
  });

  it('reports a view far from the reference', () => {
    const v = judgePicture({ current: scene(12), reference: scene(1) }, T);
    expect(v.reasons.map((r) => r.code)).toStrictEqual(['image-changed']);
    expect(v.usableAsReference).toBe(false);
  });
});

describe('PGM', () => {
  it('round-trips a picture', () => {
    const data = scene(3);
    expect(decodePgm(encodePgm(data, W, H))).toStrictEqual({ width: W, height: H, data });
  });

  it('rejects what is not a whole binary PGM', () => {
    expect([decodePgm(Buffer.from('P2\n1 1\n255\n0')), decodePgm(Buffer.from('P5\n4 4\n255\nab'))]).toStrictEqual([undefined, undefined]);
  });
});
