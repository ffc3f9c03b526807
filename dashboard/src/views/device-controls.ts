/**
 * What an operator may do to one device from a school's page: a button's end-to-end self-test
 * (devices:self-test, what a school presses to check its link to the 110 centre) and a
 * barrier's raise/lower (devices:command). Only the controls the role grants are made; the
 * gateway refuses the rest anyway. A barrier command takes two clicks: lowering a barrier at
 * the school gate during the rush is not something to do by a slip of the mouse.
 *
 * The device table is rebuilt as health changes, so each device's controls are one element
 * kept here and moved into the new row: an armed button stays armed and keeps its focus.
 */
import { h, setText } from '../dom.js';
import type { DeviceView } from '../model.js';
import type { ViewContext } from './context.js';
import { errorText } from './errors.js';

/** An armed barrier command falls back to its first step after this. */
const ARM_MS = 5000;

type Command = 'raise' | 'lower';

interface Controls {
  root: HTMLElement;
  render(): void;
  dispose(): void;
}

export class DeviceControls {
  private readonly byDevice = new Map<string, Controls>();

  constructor(private readonly ctx: ViewContext) {}

  /** Whether any device of `devices` has a control this user may use (the table needs the column). */
  any(devices: readonly DeviceView[]): boolean {
    return devices.some((d) => this.allowed(d));
  }

  /** The device's controls (the same element every time), or null when it has none for this role. */
  cell(device: DeviceView): HTMLElement | null {
    if (!this.allowed(device)) return null;
    let c = this.byDevice.get(device.id);
    if (!c) {
      c = device.kind === 'barrier' ? this.barrier(device) : this.selfTest(device);
      this.byDevice.set(device.id, c);
    }
    c.render();
    return c.root;
  }

  dispose(): void {
    for (const c of this.byDevice.values()) c.dispose();
    this.byDevice.clear();
  }

  private allowed(d: DeviceView): boolean {
    if (d.kind === 'barrier') return this.ctx.can('devices:command');
    // gateway/http/devices-routes.ts: the self-test is for MQTT alarm buttons only.
    return d.kind === 'alarm-button' && d.adapter === 'mqtt-native' && this.ctx.can('devices:self-test');
  }

  private selfTest(device: DeviceView): Controls {
    const { ctx } = this;
    let busy = false;
    const button = h('button', { class: 'btn btn-small btn-secondary', attrs: { type: 'button', 'data-action': 'self-test', 'data-device-id': device.id } });
    const render = () => {
      setText(button, ctx.i18n.t('device.selfTest'));
      button.disabled = busy;
    };
    button.addEventListener('click', () => {
      busy = true;
      render();
      ctx.api.selfTest(device.id).then(
        () => ctx.toast(ctx.i18n.t('device.selfTestSent', { device: device.name })),
        (err: unknown) => ctx.toast(ctx.i18n.t('device.commandFailed', { device: device.name, msg: errorText(ctx, err) }), 'error'),
      ).finally(() => {
        busy = false;
        render();
      });
    });
    return { root: h('div', { class: 'device-controls' }, button), render, dispose: () => undefined };
  }

  private barrier(device: DeviceView): Controls {
    const { ctx } = this;
    let armed: Command | undefined;
    let busy = false;
    let timer: number | undefined;
    const buttons = new Map<Command, HTMLButtonElement>();
    const label = (c: Command) => ctx.i18n.t(c === 'raise' ? 'device.raise' : 'device.lower');
    const render = () => {
      for (const [c, b] of buttons) {
        setText(b, armed === c ? ctx.i18n.t(c === 'raise' ? 'device.confirmRaise' : 'device.confirmLower') : label(c));
        b.classList.toggle('is-armed', armed === c);
        b.disabled = busy;
        b.setAttribute('aria-pressed', armed === c ? 'true' : 'false');
      }
    };
    const disarm = () => {
      window.clearTimeout(timer);
      armed = undefined;
      render();
    };
    const send = async (command: Command) => {
      busy = true;
      disarm();
      try {
        const r = await ctx.api.deviceCommand(device.id, command);
        ctx.toast(ctx.i18n.t('device.commandDone', { device: device.name, command: label(command), ms: Math.round(r.latencyMs) }));
      } catch (err) {
        ctx.toast(ctx.i18n.t('device.commandFailed', { device: device.name, msg: errorText(ctx, err) }), 'error');
      } finally {
        busy = false;
        render();
      }
    };
    for (const c of ['raise', 'lower'] as const) {
      const b = h('button', { class: 'btn btn-small btn-secondary', attrs: { type: 'button', 'data-action': c, 'data-device-id': device.id } });
      b.addEventListener('click', () => {
        if (busy) return;
        if (armed === c) {
          void send(c);
          return;
        }
        window.clearTimeout(timer);
        armed = c;
        timer = window.setTimeout(disarm, ARM_MS);
        render();
      });
      buttons.set(c, b);
    }
    return { root: h('div', { class: 'device-controls' }, ...buttons.values()), render, dispose: () => window.clearTimeout(timer) };
  }
}
