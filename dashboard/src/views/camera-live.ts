/**
 * A camera's live picture (issue 7), on a school's page and beside an alarm: one player per
 * page, opened from a "实时画面 / Live view" button next to each camera that offers it.
 *
 * The gateway sends the jsmpeg stream (MPEG-TS with MPEG-1 video) on
 * `GET /api/cameras/:id/live` (gateway/http/cameras-routes.ts); JSMpeg
 * (@cycjimmy/jsmpeg-player) decodes it in JavaScript and draws with WebGL, or canvas 2D where
 * WebGL is missing. Its WebAssembly decoder stays off: compiling WebAssembly needs
 * `'wasm-unsafe-eval'` in the page's CSP (script-src 'self' here). The socket is our own
 * JSMpeg source so that its close code says what happened, and the token travels as the
 * subprotocol `bearer.<token>` next to `campus-camera.v1` (browsers cannot set headers).
 *
 * A refused upgrade looks to a page like a lost connection (RFC 6455 §7.1.7 hides the status),
 * so after one the player asks `GET /api/cameras/live-views` why: every stream slot taken
 * (同时播放路数已满), the camera gone, or else the camera could not be reached (摄像机离线).
 *
 * The buttons and the panel are elements kept here, so the host may rebuild its rows or its
 * whole detail and insert them again: the picture keeps playing. A player whose panel has left
 * the page (the view changed) stops by itself, and closing it ends the stream on the gateway.
 */
import JSMpeg, { type JSMpegDestination, type JSMpegPlayer, type JSMpegSource } from '@cycjimmy/jsmpeg-player';
import { h, setText } from '../dom.js';
import { cameraText, type CameraUiKey } from '../i18n/dictionary-cameras.js';
import type { Vars } from '../i18n/i18n.js';
import type { DeviceView } from '../model.js';
import { SessionStore } from '../session.js';
import type { ViewContext } from './context.js';
import '../styles/camera.css';

/** GET /api/cameras/live-views (gateway/http/cameras-routes.ts). */
export interface LiveCamera {
  deviceId: string;
  siteId: string;
  width: number;
  height: number;
  streaming: boolean;
  viewers: number;
  busy: boolean;
  /** Its adapter's stream limit (a gateway older than it does not say). */
  maxStreams?: number;
  path: string;
}

export interface LiveViewList {
  inUse: number;
  maxStreams: number;
  cameras: LiveCamera[];
}

export type LiveState = 'idle' | 'connecting' | 'waiting' | 'playing' | 'no-picture' | 'busy' | 'offline' | 'interrupted' | 'unavailable' | 'session-ended';

/** Subprotocols of a viewer socket: the gateway echoes the first, reads the token from the second. */
export function cameraLiveProtocols(token: string | undefined): string[] {
  return token ? ['campus-camera.v1', `bearer.${token}`] : ['campus-camera.v1'];
}

/** The session's token as the login stored it (sessionStorage, dashboard/src/session.ts). */
export function sessionToken(): string | undefined {
  try {
    return new SessionStore(window.sessionStorage).load(Date.now())?.token;
  } catch {
    return undefined;
  }
}

/** No decoded picture this long after connecting, or since the last one: say so. */
const NO_PICTURE_MS = 12_000;
/** gateway/http/cameras-routes.ts: the session ended while watching. */
const CLOSE_SESSION_ENDED = 4401;

const STATE_TEXT: Readonly<Record<Exclude<LiveState, 'idle'>, CameraUiKey>> = {
  connecting: 'camera.liveConnecting',
  waiting: 'camera.liveWaiting',
  playing: 'camera.livePlaying',
  'no-picture': 'camera.liveNoPicture',
  busy: 'camera.liveBusy',
  offline: 'camera.liveOffline',
  interrupted: 'camera.liveInterrupted',
  unavailable: 'camera.liveUnavailable',
  'session-ended': 'camera.liveSessionEnded',
};

const FAILED: ReadonlySet<LiveState> = new Set(['busy', 'offline', 'interrupted', 'unavailable', 'session-ended']);

interface SocketEvents {
  opened(): void;
  /** `opened`: the upgrade had succeeded before the socket closed. */
  closed(code: number, opened: boolean): void;
}

/** A JSMpeg source on our own WebSocket, so the close code reaches the player's owner. */
function socketSource(protocols: string[], events: SocketEvents): new (url: string) => JSMpegSource {
  return class CameraSocketSource implements JSMpegSource {
    established = false;
    completed = false;
    progress = 0;
    streaming = true;
    private socket: WebSocket | undefined;
    private destination: JSMpegDestination | undefined;

    constructor(private readonly url: string) {}

    connect(destination: JSMpegDestination): void {
      this.destination = destination;
    }

    start(): void {
      let opened = false;
      const ws = new WebSocket(this.url, protocols);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => {
        opened = true;
        this.progress = 1;
        events.opened();
      };
      ws.onmessage = (ev: MessageEvent<ArrayBuffer>) => {
        this.established = true;
        this.destination?.write(ev.data);
      };
      ws.onclose = (ev) => events.closed(ev.code, opened);
      this.socket = ws;
    }

    resume(): void {
      // Live: everything that arrives is decoded at once.
    }

    destroy(): void {
      const ws = this.socket;
      this.socket = undefined;
      if (!ws) return;
      ws.onclose = null;
      ws.onmessage = null;
      ws.close(1000, 'viewer closed');
    }
  };
}

export class CameraLivePanel {
  readonly root: HTMLElement;
  private readonly title = h('h4', { class: 'camera-live-title' });
  private readonly status = h('span', { class: 'camera-live-status', attrs: { role: 'status', 'aria-live': 'polite' } });
  private readonly closeButton: HTMLButtonElement;
  private readonly retryButton: HTMLButtonElement;
  private readonly screen = h('div', { class: 'camera-live-screen' });
  private readonly audit = h('p', { class: 'hint camera-live-audit' });
  /** Each camera's button and its site. */
  private readonly buttons = new Map<string, { el: HTMLButtonElement; siteId: string }>();
  /** Live-view cameras per site, as the gateway listed them (undefined: not asked yet). */
  private readonly directory = new Map<string, Map<string, LiveCamera> | 'loading'>();
  private device: DeviceView | undefined;
  private player: JSMpegPlayer | undefined;
  private canvas: HTMLCanvasElement | undefined;
  private state: LiveState = 'idle';
  private stateVars: Vars = {};
  private openedAt = 0;
  private lastFrameAt = 0;
  private frames = 0;
  /** Each opening has its own number: late events of an earlier socket are ignored. */
  private generation = 0;
  /** Runs while a camera is open (nothing is left running by a panel whose host forgot it). */
  private watchdog: number | undefined;
  private detachedTicks = 0;
  private readonly onVisibility = () => {
    if (!this.player) return;
    if (document.visibilityState === 'hidden') this.player.pause();
    else {
      // Nothing was decoded while hidden: that is not the camera's fault.
      this.lastFrameAt = Date.now();
      this.player.play();
    }
  };

  constructor(
    private readonly ctx: ViewContext,
    private readonly token: () => string | undefined = sessionToken,
  ) {
    this.closeButton = h('button', { class: 'btn btn-small btn-secondary', attrs: { type: 'button', 'data-action': 'live-close' }, on: { click: () => this.close() } });
    this.retryButton = h('button', { class: 'btn btn-small btn-secondary', attrs: { type: 'button', 'data-action': 'live-retry', hidden: true }, on: { click: () => this.retry() } });
    this.root = h(
      'section',
      { class: 'camera-live', attrs: { 'data-camera-live': '', 'data-state': 'idle', hidden: true } },
      h('div', { class: 'camera-live-head' }, this.title, this.status, this.retryButton, this.closeButton),
      this.screen,
      this.audit,
    );
  }

  /** The live-view button of a camera (the same element every time), hidden until the gateway says it has one. */
  button(device: DeviceView): HTMLButtonElement | null {
    if (device.kind !== 'camera') return null;
    let b = this.buttons.get(device.id)?.el;
    if (!b) {
      b = h('button', { class: 'btn btn-small btn-secondary camera-live-button', attrs: { type: 'button', 'data-action': 'live-view', 'data-device-id': device.id, hidden: true } });
      b.addEventListener('click', () => {
        const current = this.ctx.store.device(device.id) ?? device;
        if (this.device?.id === current.id && !FAILED.has(this.state)) this.root.scrollIntoView({ block: 'nearest' });
        else this.open(current);
      });
      this.buttons.set(device.id, { el: b, siteId: device.siteId });
    }
    this.renderButton(device.id, device.siteId, b);
    void this.loadSite(device.siteId);
    return b;
  }

  /** Opens a camera's picture (closing the one shown). */
  open(device: DeviceView): void {
    this.stopPlayer();
    this.device = device;
    const generation = ++this.generation;
    const info = this.directory.get(device.siteId);
    const known = info instanceof Map ? info.get(device.id) : undefined;
    const canvas = h('canvas', { class: 'camera-live-canvas', attrs: { width: known?.width ?? 640, height: known?.height ?? 360 } });
    this.canvas = canvas;
    this.screen.replaceChildren(canvas);
    this.frames = 0;
    this.openedAt = Date.now();
    this.lastFrameAt = 0;
    this.root.hidden = false;
    this.detachedTicks = 0;
    if (this.watchdog === undefined) {
      this.watchdog = window.setInterval(() => this.check(), 1000);
      document.addEventListener('visibilitychange', this.onVisibility);
    }
    this.setState('connecting');
    const url = new URL(this.ctx.api.url(`api/cameras/${encodeURIComponent(device.id)}/live`));
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const source = socketSource(cameraLiveProtocols(this.token()), {
      opened: () => {
        if (generation === this.generation && this.state === 'connecting') this.setState('waiting');
      },
      closed: (code, opened) => {
        if (generation === this.generation) void this.onClosed(code, opened);
      },
    });
    this.player = new JSMpeg.Player(url.toString(), {
      canvas,
      source,
      audio: false,
      disableWebAssembly: true,
      // Our own visibility handling: JSMpeg's listener outlives destroy() (one leaked player per opening).
      pauseWhenHidden: false,
      videoBufferSize: 1024 * 1024,
      onVideoDecode: () => {
        if (generation !== this.generation) return;
        this.frames++;
        this.lastFrameAt = Date.now();
        if (this.state !== 'playing') this.setState('playing');
      },
    });
    this.renderButtons();
  }

  /** Stops the picture and hides the panel; the gateway stops the stream when nobody watches. */
  close(): void {
    this.generation++;
    this.stopPlayer();
    window.clearInterval(this.watchdog);
    this.watchdog = undefined;
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.device = undefined;
    this.root.hidden = true;
    this.screen.replaceChildren();
    this.setState('idle');
    this.renderButtons();
  }

  /** The panel with its strings current, for a host that rebuilds its content. */
  element(): HTMLElement {
    this.render();
    return this.root;
  }

  /** The camera shown, if any. */
  get deviceId(): string | undefined {
    return this.device?.id;
  }

  /** Strings again (language switch). */
  render(): void {
    const { lang } = this.ctx.i18n;
    setText(this.closeButton, cameraText(lang, 'camera.liveClose'));
    setText(this.retryButton, cameraText(lang, 'camera.liveRetry'));
    setText(this.audit, cameraText(lang, 'camera.liveAudit'));
    const name = this.device?.name ?? '';
    setText(this.title, cameraText(lang, 'camera.liveTitle', { camera: name }));
    this.canvas?.setAttribute('aria-label', cameraText(lang, 'camera.liveCanvas', { camera: name }));
    setText(this.status, this.state === 'idle' ? '' : cameraText(lang, STATE_TEXT[this.state], this.stateVars));
    this.renderButtons();
  }

  dispose(): void {
    this.close();
  }

  private retry(): void {
    const device = this.device;
    if (!device) return;
    this.directory.delete(device.siteId);
    this.open(this.ctx.store.device(device.id) ?? device);
  }

  private stopPlayer(): void {
    const player = this.player;
    this.player = undefined;
    this.canvas = undefined;
    player?.destroy();
  }

  private setState(state: LiveState, vars: Vars = {}): void {
    this.state = state;
    this.stateVars = vars;
    this.root.dataset.state = state;
    this.root.dataset.deviceId = this.device?.id ?? '';
    this.root.dataset.frames = String(this.frames);
    this.retryButton.hidden = !FAILED.has(state) && state !== 'no-picture';
    this.root.classList.toggle('is-failed', FAILED.has(state));
    this.render();
  }

  /** Once a second: the frame count for whoever checks the page, no-picture, and a panel left behind. */
  private check(): void {
    // The host rebuilt its content without this panel, or the view was left: stop watching.
    this.detachedTicks = this.root.isConnected ? 0 : this.detachedTicks + 1;
    if (this.detachedTicks >= 2) {
      this.close();
      return;
    }
    if (!this.player || document.visibilityState === 'hidden') return;
    this.root.dataset.frames = String(this.frames);
    const now = Date.now();
    const since = this.lastFrameAt || this.openedAt;
    if ((this.state === 'waiting' || this.state === 'playing' || this.state === 'connecting') && now - since > NO_PICTURE_MS) this.setState('no-picture');
  }

  private async onClosed(code: number, opened: boolean): Promise<void> {
    const device = this.device;
    const generation = this.generation;
    this.stopPlayer();
    if (!device) return;
    if (code === CLOSE_SESSION_ENDED) {
      this.setState('session-ended');
      return;
    }
    if (opened) {
      // The gateway ended the stream (the camera stopped sending and did not come back).
      this.setState('interrupted');
      return;
    }
    // Refused before the upgrade: ask why.
    let list: LiveViewList;
    try {
      list = await this.fetchList(device.siteId);
    } catch (err) {
      if (generation === this.generation) this.setState((err as { status?: number }).status === 401 ? 'session-ended' : 'offline');
      return;
    }
    if (generation !== this.generation) return;
    const entry = list.cameras.find((c) => c.deviceId === device.id);
    if (!entry) this.setState('unavailable');
    else if (entry.busy) this.setState('busy', { max: entry.maxStreams ?? list.maxStreams });
    else this.setState('offline');
  }

  private async loadSite(siteId: string): Promise<void> {
    if (this.directory.has(siteId)) return;
    this.directory.set(siteId, 'loading');
    try {
      await this.fetchList(siteId);
    } catch {
      this.directory.delete(siteId); // asked again with the next render
    }
  }

  /** GET /api/cameras/live-views?site=…, kept as the site's directory. */
  private async fetchList(siteId: string): Promise<LiveViewList> {
    const token = this.token();
    const res = await fetch(this.ctx.api.url('api/cameras/live-views', { site: siteId }), {
      headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status });
    const list = (await res.json()) as LiveViewList;
    this.directory.set(siteId, new Map(list.cameras.map((c) => [c.deviceId, c])));
    this.renderButtons();
    return list;
  }

  private renderButtons(): void {
    for (const [id, b] of this.buttons) this.renderButton(id, b.siteId, b.el);
  }

  private renderButton(deviceId: string, siteId: string, b: HTMLButtonElement): void {
    const { lang } = this.ctx.i18n;
    const dir = this.directory.get(siteId);
    b.hidden = !(dir instanceof Map && dir.has(deviceId));
    const showing = this.device?.id === deviceId && this.state !== 'idle';
    setText(b, cameraText(lang, showing ? 'camera.liveButtonOpen' : 'camera.liveButton'));
    b.setAttribute('aria-pressed', showing ? 'true' : 'false');
    b.classList.toggle('is-open', showing);
  }
}
