/**
 * A device's state at a glance (GET /api/devices `state`): the readings that matter for its
 * kind, each with the time it was read in its tooltip. A barrier lowered while a protection
 * window is open stands out (the field's complaint: barriers left down during the school rush).
 */
import { activeWindow } from '../../../gateway/core/barriers/protection-window.js';
import { h } from '../dom.js';
import { dateTime, relTime } from '../format.js';
import type { UiKey } from '../i18n/dictionary.js';
import type { DeviceView, SiteView } from '../model.js';
import type { ViewContext } from './context.js';

type Reading = NonNullable<DeviceView['state']>[string];

const POSITIONS = new Set(['raised', 'lowered', 'moving', 'fault', 'unknown']);

/** Whether one of the site's protection windows is open at `now`. */
export function inProtectionWindow(site: SiteView | undefined, now: number): boolean {
  if (!site || site.protectionWindows.length === 0) return false;
  try {
    return activeWindow({ protectionWindows: site.protectionWindows, holidays: [], timeZone: site.timeZone }, now) !== undefined;
  } catch {
    return false; // a window the gateway accepted but this browser cannot evaluate: no highlight
  }
}

/** A barrier lowered inside an open protection window. */
export function loweredInWindow(d: DeviceView, site: SiteView | undefined, now: number): boolean {
  return d.kind === 'barrier' && d.state?.['position']?.value === 'lowered' && inProtectionWindow(site, now);
}

export function stateCell(ctx: ViewContext, d: DeviceView, site: SiteView | undefined): HTMLElement {
  const { i18n } = ctx;
  const now = ctx.now();
  const state = d.state ?? {};
  const chips: HTMLElement[] = [];
  const chip = (field: string, label: UiKey, text: string, extraClass = '') => {
    const r: Reading | undefined = state[field];
    if (!r) return;
    chips.push(
      h(
        'li',
        { class: `state-chip${extraClass}`, attrs: { 'data-field': field, 'data-value': String(r.value), title: i18n.t('state.readAt', { time: dateTime(i18n, r.at, now) }) } },
        h('span', { class: 'state-label' }, `${i18n.t(label)} `),
        h('span', { class: 'state-value' }, text),
      ),
    );
  };
  const v = (field: string) => state[field]?.value;
  const position = v('position');
  if (position !== undefined) {
    const known = POSITIONS.has(String(position));
    const alert = loweredInWindow(d, site, now);
    chip('position', 'state.position', known ? i18n.t(`state.position.${String(position)}` as UiKey) : String(position), alert ? ' state-alert' : position === 'lowered' ? ' state-warn' : '');
    if (alert) chips.unshift(h('li', { class: 'state-chip state-alert state-banner', attrs: { 'data-alert': 'down-in-window' } }, i18n.t('state.downInWindow')));
  }
  if (v('pressure') !== undefined) chip('pressure', 'state.pressure', String(v('pressure')));
  if (v('impactCount') !== undefined) chip('impactCount', 'state.impactCount', String(v('impactCount')));
  if (v('faults')) chip('faults', 'state.faults', String(v('faults')), ' state-warn');
  if (v('battery') !== undefined) chip('battery', 'state.battery', `${String(v('battery'))}%`);
  if (v('rssi') !== undefined) chip('rssi', 'state.rssi', `${String(v('rssi'))} dBm`);
  if (v('power') !== undefined) chip('power', 'state.power', String(v('power')), v('power') === 'battery' ? ' state-warn' : '');
  if (v('sim.status') !== undefined) {
    const expires = v('sim.expires');
    chip('sim.status', 'state.sim', `${String(v('sim.status'))}${expires !== undefined ? ` · ${i18n.t('state.simExpires')} ${String(expires)}` : ''}`);
  }
  if (v('resolution') !== undefined) chip('resolution', 'state.resolution', String(v('resolution')));
  if (v('fps') !== undefined) chip('fps', 'state.fps', `${String(v('fps'))} fps`);
  const lastFrame = v('lastFrameAt');
  if (typeof lastFrame === 'number') {
    chips.push(h('li', { class: 'state-chip', attrs: { 'data-field': 'lastFrameAt' } }, h('span', { class: 'state-label' }, `${i18n.t('state.lastFrame')} `), relTime(i18n, lastFrame, 'ago', now)));
  }
  if (v('link') !== undefined) chip('link', 'state.link', String(v('link')), v('link') === 'offline' || v('link') === 'unbound' ? ' state-warn' : '');
  if (v('active') !== undefined && d.kind === 'alarm-centre') chip('active', 'state.active', String(v('active')));
  if (chips.length === 0) return h('span', { class: 'hint' }, i18n.t('state.none'));
  return h('ul', { class: 'state-chips' }, chips);
}
