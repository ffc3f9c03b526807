/**
 * The audible alarm: a two-tone beep repeated while any critical alarm waits for
 * acknowledgement. WebAudio, no sound files. Browsers only let a page play sound after a user
 * gesture (or in kiosk mode with --autoplay-policy=no-user-gesture-required): until then the
 * state is 'blocked' and the header asks the officer to click once.
 */
export type SoundState = 'off' | 'sounding' | 'muted' | 'blocked';

const PERIOD_MS = 1500;
const TONES: readonly { hz: number; at: number; len: number }[] = [
  { hz: 960, at: 0, len: 0.18 },
  { hz: 720, at: 0.22, len: 0.18 },
];

export class AlarmSound {
  private ctx?: AudioContext;
  private timer?: number;
  private wanted = false;
  private muted = false;
  private current: SoundState = 'off';

  constructor(private readonly onState: (state: SoundState) => void) {}

  get state(): SoundState {
    return this.current;
  }

  /** From a user gesture: lets the page play sound from now on. */
  unlock(): void {
    const ctx = this.context();
    if (ctx && ctx.state !== 'running') void ctx.resume().then(() => this.update());
    this.update();
  }

  /** wanted: an unacknowledged critical alarm exists; muted: the officer silenced it. */
  set(wanted: boolean, muted: boolean): void {
    this.wanted = wanted;
    this.muted = muted;
    this.update();
  }

  stop(): void {
    window.clearInterval(this.timer);
    this.timer = undefined;
    void this.ctx?.close();
    this.ctx = undefined;
  }

  private context(): AudioContext | undefined {
    if (this.ctx) return this.ctx;
    if (typeof AudioContext === 'undefined') return undefined;
    this.ctx = new AudioContext();
    this.ctx.addEventListener('statechange', () => this.update());
    return this.ctx;
  }

  private update(): void {
    let next: SoundState = 'off';
    if (this.wanted && this.muted) next = 'muted';
    else if (this.wanted) {
      const ctx = this.context();
      if (ctx && ctx.state === 'suspended') void ctx.resume().catch(() => undefined);
      next = ctx?.state === 'running' ? 'sounding' : 'blocked';
    }
    if (next === 'sounding' && this.timer === undefined) {
      this.beep();
      this.timer = window.setInterval(() => this.beep(), PERIOD_MS);
    } else if (next !== 'sounding' && this.timer !== undefined) {
      window.clearInterval(this.timer);
      this.timer = undefined;
    }
    if (next !== this.current) {
      this.current = next;
      this.onState(next);
    }
  }

  private beep(): void {
    const ctx = this.ctx;
    if (!ctx || ctx.state !== 'running') return;
    const t0 = ctx.currentTime + 0.02;
    for (const tone of TONES) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'square';
      osc.frequency.value = tone.hz;
      // Short ramps: no clicks at the edges of each tone.
      gain.gain.setValueAtTime(0, t0 + tone.at);
      gain.gain.linearRampToValueAtTime(0.2, t0 + tone.at + 0.01);
      gain.gain.setValueAtTime(0.2, t0 + tone.at + tone.len - 0.02);
      gain.gain.linearRampToValueAtTime(0, t0 + tone.at + tone.len);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0 + tone.at);
      osc.stop(t0 + tone.at + tone.len + 0.01);
    }
  }
}
