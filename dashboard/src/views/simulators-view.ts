/**
 * The tester's simulator control panel (模拟器, #/simulators, permission simulators:control):
 * the far ends first (the 110 centre's two receivers, the SMS centre), then every simulated
 * device grouped by school with its state and faults, and one click to press, fault, cover,
 * lower, drop, take down or restore. What the gateway makes of it shows where it always does
 * (the board, the school pages): this panel shows the simulators' side.
 *
 * The panel asks GET /api/simulators every POLL_MS while it is open and applies each action's
 * answer (the device's new state) at once. Polling rather than a socket: the state changes
 * mostly through this panel's own actions, which answer with the new state; what changes by
 * itself (a barrier finishing its travel, a device reconnecting) shows within POLL_MS; and the
 * gateway's side already arrives live through /api/live. One tester, a few hundred rows.
 */
import '../styles/simulators.css';
import { ApiError } from '../api.js';
import { h, setText, syncList } from '../dom.js';
import { simAction, simFarEnd, simFault, simPosition, simState, simText } from '../i18n/dictionary-simulators.js';
import type { RenderReason, View, ViewContext } from './context.js';
import { errorText } from './errors.js';
import type { SimActionRequest, SimDeviceList, SimDeviceView, SimulatorsClient } from './simulators-client.js';

const POLL_MS = 1500;
/** Actions offered as buttons (fault has its own control; malformed and flood are for scenarios). */
const BUTTONS = ['press', 'test-press', 'lower', 'raise', 'impact', 'cover', 'uncover', 'freeze', 'unfreeze', 'drop', 'restore', 'down', 'up'];
const LIVE = new Set(['online', 'frozen']);

/** Whether an action makes sense in the thing's current state (the gateway decides anyway). */
function enabled(v: SimDeviceView, action: string): boolean {
  const faults = new Set(v.faults);
  switch (action) {
    case 'press':
    case 'test-press':
    case 'lower':
    case 'raise':
    case 'impact':
      return v.simulator === 'modbus-barrier' || v.simulator === 'dc09-panel' || LIVE.has(v.state);
    case 'freeze':
      return v.simulator === 'onvif-camera' ? !faults.has('frozen') : v.state === 'online';
    case 'unfreeze':
      return faults.has('frozen');
    case 'cover':
      return !faults.has('black');
    case 'uncover':
      return faults.has('black');
    case 'drop':
      return v.state === 'online' || v.state === 'frozen' || (v.simulator === 'onvif-camera' && v.state !== 'offline');
    case 'restore':
      return v.state !== 'online' || faults.size > 0 || v.simulator === 'mqtt-device';
    case 'down':
      return v.state === 'up';
    case 'up':
      return v.state === 'down';
    default:
      return true;
  }
}

/** The label of an action on this kind of thing (a camera's freeze is its picture, not a hang). */
function actionKey(v: SimDeviceView, action: string): string {
  if (v.simulator === 'onvif-camera' && (action === 'freeze' || action === 'drop')) return `camera-${action}`;
  return action;
}

export class SimulatorsView implements View {
  readonly root: HTMLElement;
  private readonly title = h('h2', { class: 'section-title' });
  private readonly lead = h('p', { class: 'hint sim-lead' });
  private readonly farTitle = h('h3', { class: 'section-title' });
  private readonly farList = h('div', { class: 'sim-far-ends', attrs: { 'data-testid': 'sim-far-ends' } });
  private readonly devTitle = h('h3', { class: 'section-title' });
  private readonly siteLabel = h('span');
  private readonly siteSelect = h('select', { class: 'sim-site', attrs: { 'data-testid': 'sim-site' } });
  private readonly troubleBox = h('input', { attrs: { type: 'checkbox', 'data-testid': 'sim-trouble' } });
  private readonly troubleText = h('span');
  private readonly countLine = h('span', { class: 'sim-count' });
  private readonly groups = h('div', { class: 'sim-groups', attrs: { 'data-testid': 'sim-devices' } });
  private readonly status = h('p', { class: 'empty-state', attrs: { role: 'status' } });
  private list: SimDeviceList | undefined;
  private loadError: string | undefined;
  private unavailable = false;
  private readonly busy = new Set<string>();
  private timer: number | undefined;
  private disposed = false;

  constructor(
    private readonly ctx: ViewContext,
    private readonly client: SimulatorsClient,
  ) {
    this.siteSelect.addEventListener('change', () => this.render('route'));
    this.troubleBox.addEventListener('change', () => this.render('route'));
    this.root = h(
      'section',
      { class: 'view simulators', attrs: { 'data-view': 'simulators', 'data-testid': 'simulators' } },
      this.title,
      this.lead,
      this.status,
      this.farTitle,
      this.farList,
      this.devTitle,
      h('div', { class: 'sim-filters' }, h('label', {}, this.siteLabel, ' ', this.siteSelect), h('label', { class: 'check' }, this.troubleBox, this.troubleText), this.countLine),
      this.groups,
    );
    void this.load();
  }

  dispose(): void {
    this.disposed = true;
    window.clearTimeout(this.timer);
  }

  render(_reason: RenderReason): void {
    const { i18n } = this.ctx;
    setText(this.title, simText(i18n, 'sim.title'));
    setText(this.lead, simText(i18n, 'sim.lead'));
    setText(this.farTitle, simText(i18n, 'sim.farEnds'));
    setText(this.devTitle, simText(i18n, 'sim.devices'));
    setText(this.siteLabel, simText(i18n, 'sim.filterSite'));
    setText(this.troubleText, simText(i18n, 'sim.onlyTrouble'));
    const message = this.unavailable
      ? simText(i18n, 'sim.unavailable')
      : this.loadError !== undefined
        ? simText(i18n, 'sim.loadFailed', { msg: this.loadError })
        : this.list
          ? ''
          : simText(i18n, 'sim.loading');
    setText(this.status, message);
    this.status.hidden = message === '';
    const list = this.list;
    if (!list) return;
    syncList(this.farList, list.farEnds, (v) => v.id, (v, el) => this.row(v, el, 'sim-card'));
    this.renderDevices(list.devices);
  }

  private renderDevices(devices: readonly SimDeviceView[]): void {
    const { i18n, store } = this.ctx;
    const sites = [...new Set(devices.map((d) => d.siteId ?? ''))];
    const chosen = this.siteSelect.value;
    const options = [{ id: '', name: simText(i18n, 'sim.filterAll') }, ...sites.map((id) => ({ id, name: i18n.siteName(store.site(id), id) }))];
    const optSig = `${i18n.lang}|${sites.join(',')}`;
    if (this.siteSelect.dataset.sig !== optSig) {
      this.siteSelect.dataset.sig = optSig;
      this.siteSelect.replaceChildren(...options.map((o) => h('option', { attrs: { value: o.id } }, o.name)));
      this.siteSelect.value = sites.includes(chosen) ? chosen : '';
    }
    const site = this.siteSelect.value;
    const trouble = this.troubleBox.checked;
    const shown = devices.filter((d) => (!site || d.siteId === site) && (!trouble || d.faults.length > 0 || !LIVE.has(d.state)));
    setText(this.countLine, simText(i18n, 'sim.count', { shown: shown.length, total: devices.length }));
    const bySite = new Map<string, SimDeviceView[]>();
    for (const d of shown) bySite.set(d.siteId ?? '', [...(bySite.get(d.siteId ?? '') ?? []), d]);
    syncList(this.groups, [...bySite], ([id]) => id, ([id, rows], el) => {
      const group = el ?? h('section', { class: 'sim-group', attrs: { 'data-site': id } }, h('h4', { class: 'sim-group-title' }), h('div', { class: 'sim-rows' }));
      const [heading, body] = [group.children[0], group.children[1]];
      if (heading) setText(heading, i18n.siteName(store.site(id), id));
      if (body) syncList(body, rows, (v) => v.id, (v, rowEl) => this.row(v, rowEl, 'sim-row'));
      return group;
    });
  }

  /** One simulated thing: name, state, faults, what it reports, and its action buttons. */
  private row(v: SimDeviceView, existing: HTMLElement | undefined, cls: string): HTMLElement {
    const { i18n } = this.ctx;
    const busy = this.busy.has(v.id);
    const sig = `${i18n.lang}|${busy}|${JSON.stringify(v)}`;
    if (existing?.dataset.sig === sig) return existing;
    const picked = existing?.querySelector('select')?.value;
    const name = v.siteId === undefined ? simFarEnd(i18n, v.id, v.name) : v.name;
    const faults = v.faults.map((f) =>
      v.actions.includes('fault')
        ? h('button', { class: 'chip sim-fault', attrs: { type: 'button', 'data-fault': f, title: simText(i18n, 'sim.faultClear', { fault: simFault(i18n, f) }), disabled: busy }, on: { click: () => void this.act(v, { action: 'fault', fault: f, on: false }) } }, `${simFault(i18n, f)} ✕`)
        : h('span', { class: 'chip sim-fault', attrs: { 'data-fault': f } }, simFault(i18n, f)),
    );
    const buttons = BUTTONS.filter((a) => v.actions.includes(a as SimActionRequest['action'])).map((a) =>
      h(
        'button',
        { class: `btn btn-small ${a === 'press' ? 'btn-sim-press' : 'btn-secondary'}`, attrs: { type: 'button', 'data-action': a, disabled: busy || !enabled(v, a) }, on: { click: () => void this.act(v, { action: a as SimActionRequest['action'] }) } },
        simAction(i18n, actionKey(v, a)),
      ),
    );
    let faultControl: HTMLElement | undefined;
    if (v.actions.includes('fault')) {
      const select = h('select', { class: 'sim-fault-pick', attrs: { 'aria-label': simText(i18n, 'sim.faultPick') } }, ...v.faultKinds.filter((f) => !v.faults.includes(f)).map((f) => h('option', { attrs: { value: f } }, simFault(i18n, f))));
      if (picked && [...select.options].some((o) => o.value === picked)) select.value = picked;
      const set = h('button', { class: 'btn btn-small btn-secondary', attrs: { type: 'button', 'data-action': 'fault', disabled: busy || select.options.length === 0 }, on: { click: () => void this.act(v, { action: 'fault', fault: select.value, on: true }) } }, simText(i18n, 'sim.faultOn'));
      faultControl = h('span', { class: 'sim-fault-control' }, select, set);
    }
    const el = h(
      'article',
      { class: `${cls} sim-state-${v.state}`, attrs: { 'data-device': v.id, 'data-state': v.state, 'data-testid': 'sim-device', 'aria-busy': busy } },
      h('div', { class: 'sim-ident' }, h('span', { class: 'sim-name' }, name), ' ', h('code', { class: 'sim-id' }, v.id)),
      h('span', { class: 'sim-badge', attrs: { 'data-state': v.state } }, simState(i18n, v.state)),
      h('span', { class: 'sim-faults' }, faults.length > 0 ? faults : h('span', { class: 'sim-muted' }, simText(i18n, 'sim.noFaults'))),
      h('span', { class: 'sim-detail' }, this.detail(v)),
      h('span', { class: 'sim-actions' }, buttons, faultControl),
    );
    el.dataset.sig = sig;
    return el;
  }

  private detail(v: SimDeviceView): string {
    const { i18n } = this.ctx;
    if (v.barrier) return `${simText(i18n, 'sim.position', { p: simPosition(i18n, v.barrier.position) })} · ${simText(i18n, 'sim.impacts', { n: v.barrier.impactCount })}`;
    if (v.button) {
      const stages = v.button.acks.map((a) =>
        a.stage === '110-received' || a.stage === 'officer-acknowledged' ? simText(i18n, `sim.ack.${a.stage}`, { by: a.by ?? '' }) : a.stage,
      );
      return simText(i18n, 'sim.acks', { stages: stages.join(' → ') });
    }
    if (v.receiver) return simText(i18n, 'sim.accepted', { n: v.receiver.accepted });
    if (v.sms) return simText(i18n, 'sim.smsCounts', { bound: v.sms.bound, n: v.sms.messages });
    return '';
  }

  private async load(): Promise<void> {
    try {
      this.list = await this.client.list();
      this.loadError = undefined;
      this.unavailable = false;
    } catch (err) {
      this.unavailable = err instanceof ApiError && err.status === 404;
      this.loadError = this.unavailable ? undefined : errorText(this.ctx, err);
    }
    if (this.disposed) return;
    this.render('route');
    // A gateway without simulators will not grow them: stop asking.
    if (!this.unavailable) this.timer = window.setTimeout(() => void this.load(), POLL_MS);
  }

  private async act(v: SimDeviceView, request: SimActionRequest): Promise<void> {
    const { i18n } = this.ctx;
    const label = simAction(i18n, actionKey(v, request.action)) + (request.fault ? ` ${simFault(i18n, request.fault)}` : '');
    const device = v.siteId === undefined ? simFarEnd(i18n, v.id, v.name) : v.name;
    this.busy.add(v.id);
    this.render('route');
    try {
      const next = await this.client.act(v.id, request);
      this.replace(next);
      this.ctx.toast(simText(i18n, 'sim.done', { device, action: label }));
    } catch (err) {
      this.ctx.toast(simText(i18n, 'sim.failed', { device, action: label, msg: errorText(this.ctx, err) }), 'error');
    } finally {
      this.busy.delete(v.id);
      if (!this.disposed) this.render('route');
    }
  }

  private replace(next: SimDeviceView): void {
    const list = this.list;
    if (!list) return;
    const swap = (rows: SimDeviceView[]) => rows.map((r) => (r.id === next.id ? next : r));
    this.list = { farEnds: swap(list.farEnds), devices: swap(list.devices) };
  }
}
