/**
 * Broadcasts: the composer and the recent broadcasts on the left, the chosen one with its
 * live roll-call on the right. #/broadcasts/<id> chooses one; #/broadcasts?alarm=<id>
 * composes for an alarm. A broadcast just sent is chosen at once, so the officer watches its
 * recipients go from queued to delivered to confirmed.
 */
import { h, syncList } from '../dom.js';
import { dateTime } from '../format.js';
import type { BroadcastSummary } from '../model.js';
import { routeHref } from '../router.js';
import { BroadcastComposer } from './broadcast-composer.js';
import { BroadcastDetail } from './broadcast-detail.js';
import { actorName, type RenderReason, type View, type ViewContext } from './context.js';
import { tallyLine } from './broadcast-widgets.js';

const RECENT_SHOWN = 30;

export class BroadcastsView implements View {
  /** Only for a role that may send (broadcasts:send). */
  private readonly composer: BroadcastComposer | undefined;
  private readonly detail: BroadcastDetail;
  private readonly recentTitle = h('h2', { class: 'section-title section-title--muted' });
  private readonly recent = h('ul', { class: 'bc-list', attrs: { 'data-testid': 'broadcast-list' } });
  private readonly none = h('p', { class: 'hint' });
  private selectedId: string | undefined;
  readonly root: HTMLElement;

  constructor(
    private readonly ctx: ViewContext,
    route: { broadcastId?: string; alarmId?: string },
  ) {
    this.composer = ctx.can('broadcasts:send') ? new BroadcastComposer(ctx, (b) => ctx.navigate({ view: 'broadcasts', broadcastId: b.id })) : undefined;
    this.detail = new BroadcastDetail(ctx);
    this.root = h(
      'section',
      { class: 'view broadcasts', attrs: { 'data-view': 'broadcasts' } },
      h('div', { class: 'bc-side' }, this.composer?.root, this.recentTitle, this.none, this.recent),
      h('div', { class: 'bc-main' }, this.detail.root),
    );
    this.setRoute(route);
  }

  setRoute(route: { broadcastId?: string; alarmId?: string }): void {
    this.selectedId = route.broadcastId;
    this.composer?.setAlarm(route.alarmId);
    this.detail.show(route.broadcastId);
    this.render('route');
  }

  dispose(): void {
    this.detail.dispose();
  }

  render(_reason: RenderReason): void {
    const { i18n, store } = this.ctx;
    this.composer?.render();
    this.detail.render();
    const list = store.broadcasts(RECENT_SHOWN);
    this.recentTitle.textContent = i18n.t('bc.recent');
    this.none.textContent = i18n.t('bc.none');
    this.none.hidden = list.length > 0;
    syncList(this.recent, list, (b) => b.id, (b, el) => this.item(b, el));
  }

  private item(b: BroadcastSummary, existing: HTMLElement | undefined): HTMLElement {
    const { i18n } = this.ctx;
    const li = existing ?? h('li');
    const selected = b.id === this.selectedId;
    li.className = ['bc-item', `bc-state-${b.state}`, selected ? 'is-selected' : ''].filter(Boolean).join(' ');
    li.dataset.broadcastId = b.id;
    li.dataset.state = b.state;
    li.replaceChildren(
      h(
        'a',
        { attrs: { href: routeHref({ view: 'broadcasts', broadcastId: b.id }), 'aria-current': selected ? 'true' : undefined } },
        h(
          'div',
          { class: 'bc-item-head' },
          h('span', { class: 'bc-item-time' }, dateTime(i18n, b.createdAt, this.ctx.now())),
          h('span', { class: `bc-item-state bc-state-${b.state}` }, i18n.t(b.state === 'open' ? 'bc.open' : 'bc.closed')),
          b.drill ? h('span', { class: 'tag tag-drill' }, i18n.t('drill.tag')) : null,
          h('span', { class: 'bc-item-by' }, actorName(this.ctx, b.createdBy)),
        ),
        h('div', { class: 'bc-item-text', attrs: { lang: 'zh-CN' } }, b.text),
        h('div', { class: 'bc-item-tally' }, tallyLine(this.ctx, b.tally)),
      ),
    );
    return li;
  }
}
