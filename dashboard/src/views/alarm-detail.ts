/**
 * One alarm in full: what, where, since when, what to do, whom to call at the school, the
 * broadcast it started with its roll-call tally, the school's cameras and the timeline
 * (raised, repeats, who acknowledged, forwarding to 110 with its latency, the broadcast…).
 * Rebuilt only when something it shows changes, so a button that has focus keeps it while
 * the board ticks.
 */
import { h } from '../dom.js';
import { dateTime, relTime } from '../format.js';
import { instructionsFor } from '../instructions.js';
import type { Alarm, AlarmEntry, DeviceView } from '../model.js';
import { routeHref } from '../router.js';
import { broadcastsBlock, broadcastsSignature, contactsBlock } from './alarm-detail-blocks.js';
import { CameraLivePanel } from './camera-live.js';
import { actorName, deviceName, siteName, type ViewContext } from './context.js';
import { reasonList, severityBadge, statusBadge } from './widgets.js';

/** A note's press-path marks (wall-clock ms for the diagnostics, GET /api/diagnostics/press-path): its latency says it to an officer. */
const MARKS = new Set(['writtenAt', 'answeredAt']);

export class AlarmDetail {
  readonly root = h('aside', { class: 'alarm-detail' });
  private signature = '';
  /** The live picture of one of the school's cameras; kept across rebuilds of the detail. */
  private readonly live: CameraLivePanel;

  constructor(private readonly ctx: ViewContext) {
    this.live = new CameraLivePanel(ctx);
  }

  show(alarm: Alarm | undefined): void {
    const cameras = alarm ? this.cameras(alarm.siteId) : [];
    if (this.live.deviceId && !cameras.some((c) => c.id === this.live.deviceId)) this.live.close();
    const sig = [
      alarm?.id,
      alarm?.updatedAt,
      alarm?.timeline.length,
      alarm?.state,
      this.ctx.i18n.lang,
      this.ctx.store.hasRegistry(),
      this.ctx.store.ui ? 'ui' : '',
      alarm ? broadcastsSignature(this.ctx, alarm) : '',
      ...cameras.map((c) => `${c.id}:${this.ctx.store.healthOf(c).status}:${this.ctx.store.healthOf(c).reasons.length}`),
    ].join('|');
    if (sig === this.signature) return;
    this.signature = sig;
    const hadFocus = this.root.contains(document.activeElement);
    this.root.setAttribute('aria-label', this.ctx.i18n.t('detail.label'));
    this.root.replaceChildren(...(alarm ? this.content(alarm, cameras) : [h('p', { class: 'empty-state' }, this.ctx.i18n.t('board.select'))]));
    if (hadFocus) this.root.querySelector<HTMLElement>('button, a')?.focus({ preventScroll: true });
  }

  private cameras(siteId: string): DeviceView[] {
    return this.ctx.store
      .devices()
      .filter((d) => d.siteId === siteId && d.kind === 'camera')
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  private content(alarm: Alarm, cameras: DeviceView[]): HTMLElement[] {
    return this.blocks(alarm, cameras).filter((b): b is HTMLElement => b !== null);
  }

  private blocks(alarm: Alarm, cameras: DeviceView[]): (HTMLElement | null)[] {
    const { i18n } = this.ctx;
    const now = this.ctx.now();
    const instructions = instructionsFor(alarm.type, i18n.lang, this.ctx.store.ui?.instructions);
    // Acknowledge and resolve only for a role that may (alarms:act); the gateway refuses the rest.
    const mayAct = this.ctx.can('alarms:act');
    const actions = h(
      'div',
      { class: 'detail-actions' },
      mayAct && alarm.state === 'active'
        ? h('button', { class: 'btn btn-ack', attrs: { type: 'button', 'data-action': 'ack' }, on: { click: () => this.ctx.requestAction(alarm, 'ack') } }, i18n.t('action.ack'))
        : null,
      mayAct && alarm.state !== 'resolved'
        ? h('button', { class: 'btn btn-resolve', attrs: { type: 'button', 'data-action': 'resolve' }, on: { click: () => this.ctx.requestAction(alarm, 'resolve') } }, i18n.t('action.resolve'))
        : null,
    );
    return [
      h(
        'header',
        { class: `detail-head sev-${alarm.severity}${alarm.drill ? ' is-drill' : ''}`, attrs: { 'data-alarm-id': alarm.id, 'data-drill': alarm.drill ? 'true' : undefined } },
        alarm.drill ? h('p', { class: 'drill-banner', attrs: { role: 'note' } }, h('span', { class: 'tag tag-drill' }, i18n.t('drill.tag')), ` ${i18n.t('drill.banner')}`) : null,
        h('div', { class: 'detail-badges' }, severityBadge(this.ctx, alarm.severity), h('span', { class: `state-label state-label-${alarm.state}` }, i18n.alarmState(alarm.state)), alarm.drill ? h('span', { class: 'tag tag-drill' }, i18n.t('drill.tag')) : null),
        h('h2', { class: 'detail-title' }, i18n.alarmType(alarm.type)),
        h(
          'dl',
          { class: 'detail-facts' },
          h('dt', {}, i18n.t('detail.school')),
          h('dd', {}, h('a', { attrs: { href: routeHref({ view: 'schools', siteId: alarm.siteId }) } }, siteName(this.ctx, alarm.siteId))),
          alarm.deviceId ? [h('dt', {}, i18n.t('detail.device')), h('dd', {}, deviceName(this.ctx, alarm.deviceId))] : [],
          h('dt', {}, i18n.t('detail.raisedAt')),
          h('dd', {}, dateTime(i18n, alarm.raisedAt, now), ' · ', relTime(i18n, alarm.raisedAt, 'ago', now)),
          alarm.repeats > 0 ? [h('dt', {}, i18n.t('detail.repeats')), h('dd', { class: 'detail-repeats' }, i18n.t('detail.repeatsLine', { n: alarm.repeats }))] : [],
        ),
        actions,
      ),
      instructions
        ? h(
            'section',
            { class: 'detail-block detail-instructions' },
            h('h3', {}, i18n.t('detail.instructions')),
            h('p', { class: 'instructions-text' }, instructions.text),
            instructions.source === 'config'
              ? null
              : h('p', { class: 'hint', attrs: { 'data-testid': 'instructions-default' } }, i18n.t(instructions.source === 'default' ? 'detail.instructionsDefault' : 'detail.instructionsNoApi')),
          )
        : null,
      contactsBlock(this.ctx, alarm.siteId),
      broadcastsBlock(this.ctx, alarm),
      h(
        'section',
        { class: 'detail-block detail-cameras' },
        h('h3', {}, i18n.t('detail.cameras')),
        cameras.length === 0
          ? h('p', { class: 'hint' }, i18n.t('detail.noCameras'))
          : h(
              'ul',
              { class: 'camera-list' },
              cameras.map((c) => {
                const health = this.ctx.store.healthOf(c);
                return h('li', { class: `camera status-${health.status}`, attrs: { 'data-device-id': c.id } }, h('span', { class: 'camera-name' }, c.name), statusBadge(this.ctx, health.status), health.status === 'ok' ? null : reasonList(this.ctx, health), this.live.button(c));
              }),
            ),
        cameras.length === 0 ? null : this.live.element(),
      ),
      h(
        'section',
        { class: 'detail-block detail-timeline' },
        h('h3', {}, i18n.t('detail.timeline')),
        h('ol', { class: 'timeline' }, alarm.timeline.map((e) => this.entry(e, now))),
        alarm.summary ? h('p', { class: 'hint detail-summary' }, `${i18n.t('detail.summary')}: ${alarm.summary}`) : null,
      ),
    ];
  }

  private entry(e: AlarmEntry, now: number): HTMLElement {
    const { i18n } = this.ctx;
    const data = Object.entries(e.data ?? {}).filter(([k]) => !MARKS.has(k));
    return h(
      'li',
      { class: `tl-entry tl-${e.action}`, attrs: { 'data-action': e.action } },
      h('time', { class: 'tl-time', attrs: { datetime: new Date(e.at).toISOString() } }, dateTime(i18n, e.at, now)),
      h('span', { class: 'tl-action' }, i18n.action(e.action)),
      h('span', { class: 'tl-by' }, actorName(this.ctx, e.by)),
      e.note ? h('p', { class: 'tl-note' }, e.note) : null,
      data.length > 0 ? h('dl', { class: 'tl-data' }, data.map(([k, v]) => [h('dt', {}, i18n.dataKey(k)), h('dd', {}, this.dataValue(k, v))])) : null,
    );
  }

  private dataValue(key: string, value: unknown): Node | string {
    // A broadcast id is a UUID nobody reads: a link to its recipients says more.
    if (key === 'broadcastId' && typeof value === 'string' && this.ctx.can('broadcasts:read')) {
      return h('a', { attrs: { href: routeHref({ view: 'broadcasts', broadcastId: value }) } }, value.slice(0, 8));
    }
    return this.ctx.i18n.dataValue(String(value));
  }
}
