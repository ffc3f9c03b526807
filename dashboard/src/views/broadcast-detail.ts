/**
 * One broadcast as the roll-call fills in: the message, who sent it, the tally, and every
 * recipient with the channel carrying the message, its state, earlier channels, the reply.
 * Updates come from /api/live; while the panel is open it also asks GET /api/broadcasts/:id
 * (every few seconds while the live feed is down, now and then while it is up), so the
 * numbers keep moving when the socket does not.
 */
import { h, setText, syncList } from '../dom.js';
import { clockTime, dateTime, relTime } from '../format.js';
import type { BroadcastRecipient, BroadcastSummary } from '../model.js';
import { routeHref } from '../router.js';
import { actorName, siteName, type ViewContext } from './context.js';
import { broadcastStateLabel, channelsText, groupsText, tallyView } from './broadcast-widgets.js';

const POLL_LIVE_MS = 20_000;
const POLL_STALE_MS = 3_000;
const COLUMNS = ['col.recipient', 'col.group', 'col.channel', 'col.state', 'bc.replied', 'col.updated'] as const;

type Filter = 'all' | 'pending' | 'failed';

const latest = (r: BroadcastRecipient): number => Math.max(0, ...Object.values(r.at).filter((t): t is number => typeof t === 'number'));

export class BroadcastDetail {
  readonly root = h('section', { class: 'bc-detail', attrs: { 'aria-live': 'off' } });
  private readonly head = h('div', { class: 'bc-head' });
  private readonly tally = h('div', { class: 'bc-tally' });
  private readonly polling = h('p', { class: 'hint bc-polling' });
  private readonly recipientsTitle = h('h3', { class: 'section-title section-title--small' });
  private readonly filterLabel = h('label', { attrs: { for: 'bc-filter' } });
  private readonly filterSelect = h('select', { id: 'bc-filter', attrs: { 'data-filter': 'recipients' } });
  private readonly thead = h('thead');
  private readonly tbody = h('tbody');
  private readonly body = h(
    'div',
    { class: 'bc-body' },
    this.head,
    this.tally,
    this.polling,
    h('div', { class: 'bc-recipients-head' }, this.recipientsTitle, h('div', { class: 'filter' }, this.filterLabel, this.filterSelect)),
    h('table', { class: 'data-table recipients-table' }, this.thead, this.tbody),
  );
  private readonly message = h('p', { class: 'empty-state' });
  private id: string | undefined;
  private filter: Filter = 'all';
  private pollTimer: number | undefined;
  /** When the next poll is due (ms since epoch). */
  private pollAt = 0;
  private notFound = false;
  private headSig = '';
  /** What each row shows: the store replaces a recipient's object when it changes, so same object = same row. */
  private readonly rendered = new WeakMap<HTMLElement, { r: BroadcastRecipient; sig: string }>();

  constructor(private readonly ctx: ViewContext) {
    this.filterSelect.addEventListener('change', () => {
      this.filter = this.filterSelect.value as Filter;
      this.render();
    });
  }

  show(id: string | undefined): void {
    if (id === this.id) return;
    this.id = id;
    this.notFound = false;
    this.headSig = '';
    this.filter = 'all';
    this.schedulePoll(0);
    this.render();
  }

  dispose(): void {
    window.clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    this.id = undefined;
  }

  private schedulePoll(delay: number): void {
    window.clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    if (!this.id) return;
    this.pollAt = Date.now() + delay;
    this.pollTimer = window.setTimeout(() => void this.poll(), delay);
  }

  /** Fetches while the broadcast can still change (or its recipients are not here yet). */
  private async poll(): Promise<void> {
    const id = this.id;
    if (!id) return;
    const entry = this.ctx.store.broadcast(id);
    const needed = !entry?.recipients || entry.stale === true || entry.summary.state === 'open';
    if (needed) {
      const result = await this.ctx.loadBroadcast(id);
      if (id !== this.id) return;
      if (result === 'missing' && !this.ctx.store.broadcast(id)) {
        this.notFound = true;
        this.render();
      }
    }
    this.schedulePoll(this.ctx.store.connection === 'live' ? POLL_LIVE_MS : POLL_STALE_MS);
  }

  render(): void {
    const { i18n, store } = this.ctx;
    if (!this.id) {
      this.showMessage(i18n.t('bc.selectHint'));
      return;
    }
    const entry = store.broadcast(this.id);
    if (!entry) {
      this.showMessage(this.notFound ? i18n.t('bc.notFound', { id: this.id }) : i18n.t('bc.loading'));
      return;
    }
    if (this.root.firstChild !== this.body) this.root.replaceChildren(this.body);
    // After a gap in the live feed: fetch now rather than at the next poll.
    if (!entry.recipients || entry.stale) void this.ctx.loadBroadcast(this.id);
    const b = entry.summary;
    this.root.dataset.broadcastId = b.id;
    this.root.dataset.state = b.state;
    this.renderHead(b);
    this.tally.replaceChildren(tallyView(this.ctx, b.tally));
    const stale = store.connection !== 'live' && b.state === 'open';
    // The feed just went down: poll soon, not when the slow while-live poll comes round.
    if (stale && this.pollAt - Date.now() > POLL_STALE_MS) this.schedulePoll(POLL_STALE_MS);
    this.polling.hidden = !stale;
    setText(this.polling, i18n.t('bc.polling', { s: POLL_STALE_MS / 1000 }));

    const rows = entry.recipients ? [...entry.recipients.values()] : [];
    setText(this.recipientsTitle, entry.recipients ? i18n.t('bc.recipients', { n: rows.length }) : i18n.t('bc.loading'));
    setText(this.filterLabel, i18n.t('bc.filter'));
    this.renderFilter();
    this.thead.replaceChildren(h('tr', {}, COLUMNS.map((k) => h('th', { attrs: { scope: 'col' } }, i18n.t(k)))));
    const shown = rows.filter((r) => this.filter === 'all' || (this.filter === 'failed' ? r.state === 'failed' : r.state !== 'confirmed'));
    syncList(this.tbody, shown, (r) => r.id, (r, el) => this.row(r, el));
  }

  private showMessage(text: string): void {
    setText(this.message, text);
    if (this.root.firstChild !== this.message) this.root.replaceChildren(this.message);
    delete this.root.dataset.broadcastId;
  }

  private renderHead(b: BroadcastSummary): void {
    const { i18n } = this.ctx;
    const sig = `${i18n.lang}|${b.id}|${b.state}|${b.closedAt ?? ''}|${this.ctx.store.hasRegistry()}`;
    if (sig === this.headSig) return;
    this.headSig = sig;
    const alarm = b.alarmId ? this.ctx.store.alarm(b.alarmId) : undefined;
    this.head.replaceChildren(
      h('div', { class: 'bc-head-line' }, broadcastStateLabel(this.ctx, b), b.drill ? h('span', { class: 'tag tag-drill' }, i18n.t('drill.tag')) : null),
      h('blockquote', { class: 'bc-text', attrs: { lang: 'zh-CN' } }, b.text),
      h(
        'dl',
        { class: 'detail-facts' },
        h('dt', {}, i18n.t('bc.at')),
        h('dd', {}, dateTime(i18n, b.createdAt, this.ctx.now()), ' · ', relTime(i18n, b.createdAt, 'ago', this.ctx.now())),
        h('dt', {}, i18n.t('bc.by')),
        h('dd', {}, actorName(this.ctx, b.createdBy)),
        h('dt', {}, i18n.t('bc.groups')),
        h('dd', {}, groupsText(this.ctx, b.groups), b.siteId ? ` · ${siteName(this.ctx, b.siteId)}` : ''),
        h('dt', {}, i18n.t('bc.channels')),
        h('dd', {}, channelsText(this.ctx, b.channels)),
        b.alarmId
          ? [
              h('dt', {}, i18n.t('bc.alarm')),
              h('dd', {}, h('a', { attrs: { href: routeHref({ view: 'board', alarmId: b.alarmId }) } }, alarm ? `${i18n.alarmType(alarm.type)} · ${siteName(this.ctx, alarm.siteId)}` : b.alarmId)),
            ]
          : [],
      ),
    );
  }

  private renderFilter(): void {
    const { i18n } = this.ctx;
    const sig = `${i18n.lang}|${this.filter}`;
    if (this.filterSelect.dataset.sig === sig) return;
    this.filterSelect.dataset.sig = sig;
    const options: [Filter, string][] = [
      ['all', i18n.t('bc.filterAll')],
      ['pending', i18n.t('bc.filterPending')],
      ['failed', i18n.t('bc.filterFailed')],
    ];
    this.filterSelect.replaceChildren(...options.map(([v, label]) => h('option', { attrs: { value: v } }, label)));
    this.filterSelect.value = this.filter;
  }

  private row(r: BroadcastRecipient, existing: HTMLElement | undefined): HTMLElement {
    const { i18n } = this.ctx;
    const sig = `${i18n.lang}|${this.ctx.store.hasRegistry()}`;
    const last = existing ? this.rendered.get(existing) : undefined;
    if (existing && last?.r === r && last.sig === sig) return existing;
    const tr = existing ?? h('tr');
    this.rendered.set(tr, { r, sig });
    tr.className = `recipient state-${r.state}`;
    tr.dataset.recipientId = r.id;
    tr.dataset.state = r.state;
    if (r.channel) tr.dataset.channel = r.channel;
    const updated = latest(r);
    tr.replaceChildren(
      h('td', { class: 'cell-name' }, r.name, r.siteId ? h('div', { class: 'cell-id' }, siteName(this.ctx, r.siteId)) : null),
      h('td', {}, i18n.group(r.group)),
      h('td', {}, r.channel ? [h('strong', {}, i18n.channel(r.channel)), h('div', { class: 'cell-id' }, r.address ?? '')] : '—'),
      h(
        'td',
        {},
        h('span', { class: `rstate rstate-${r.state}` }, i18n.recipientState(r.state)),
        r.reason ? h('div', { class: 'reason-detail', attrs: { 'data-reason': r.reason } }, i18n.failure(r.reason), r.detail ? ` (${r.detail})` : '') : null,
        r.attempts.map((a) => h('div', { class: 'cell-id' }, i18n.t('bc.earlier', { channel: i18n.channel(a.channel), state: a.reason ? i18n.failure(a.reason) : i18n.recipientState(a.state) }))),
        r.fallbackAt && r.state !== 'confirmed' && r.state !== 'delivered' ? h('div', { class: 'cell-id' }, i18n.t('bc.fallbackAt', { t: clockTime(i18n, r.fallbackAt) })) : null,
      ),
      h('td', { class: 'cell-reply' }, r.reply ? (r.reply.text ?? i18n.t('bc.radioAck')) : ''),
      h('td', {}, updated > 0 ? clockTime(i18n, updated) : ''),
    );
    return tr;
  }
}
