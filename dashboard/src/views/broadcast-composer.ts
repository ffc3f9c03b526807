/**
 * Composing a broadcast ("一呼百应"): groups, the school the school-side groups are drawn
 * from, channels in the order they are tried, the Chinese text. It goes out in the logged-in
 * operator's name (the gateway takes the sender from the session). Sending takes two steps,
 * like acknowledge and resolve: a message to a hundred people cannot be taken back. Built
 * once; a re-render changes words, never what the officer typed.
 */
import { ApiError } from '../api.js';
import { h, setText } from '../dom.js';
import { smsParts } from '../derive.js';
import type { Broadcast, ChannelName } from '../model.js';
import { displayName } from '../session.js';
import { siteName, type ViewContext } from './context.js';
import { channelsText, groupsText } from './broadcast-widgets.js';
import { errorText } from './errors.js';

/**
 * The default configuration's groups (gateway/core/broadcast/config.ts DEFAULT_GROUPS). The
 * gateway does not serve its group list yet: a district with other groups cannot pick them here.
 */
const GROUPS = ['station-patrol', 'guard-posts', 'school-contacts', 'all-guard-posts', 'oncall-supervisor', 'oncall-station-chief'] as const;
/** Groups drawn from one school's contacts (scope 'alarm-site'): the school select applies. */
const SCHOOL_SCOPED = new Set<string>(['guard-posts', 'school-contacts']);
/** gateway/core/broadcast/types.ts BROADCAST_CHANNELS, in the order they are tried. */
const CHANNELS: readonly ChannelName[] = ['radio', 'sms'];
/** What an alarm's broadcast usually needs: the patrol and the school's guard post. */
const ALARM_GROUPS = ['station-patrol', 'guard-posts'];

type Stage = 'edit' | 'confirm' | 'sending';

export class BroadcastComposer {
  readonly root: HTMLFormElement;
  private readonly title = h('h2', { class: 'section-title' });
  private readonly fields = h('fieldset', { class: 'composer-fields' });
  private readonly groupsLegend = h('legend');
  private readonly groupBoxes = new Map<string, { input: HTMLInputElement; text: HTMLElement }>();
  private readonly schoolLabel = h('label', { attrs: { for: 'compose-school' } });
  private readonly school = h('select', { id: 'compose-school', attrs: { name: 'site' } });
  private readonly schoolHint = h('p', { class: 'hint' });
  private readonly channelsLegend = h('legend');
  private readonly channelBoxes = new Map<ChannelName, { input: HTMLInputElement; text: HTMLElement }>();
  private readonly channelsHint = h('p', { class: 'hint' });
  private readonly textLabel = h('label', { attrs: { for: 'compose-text' } });
  private readonly text = h('textarea', { id: 'compose-text', attrs: { name: 'text', rows: 4, maxlength: 1000, lang: 'zh-CN' } });
  private readonly count = h('p', { class: 'hint composer-count', attrs: { 'aria-live': 'polite' } });
  private readonly rollCallHint = h('p', { class: 'hint' });
  private readonly alarmLine = h('p', { class: 'composer-alarm' });
  private readonly operatorLine = h('p', { class: 'hint composer-operator', attrs: { 'data-testid': 'compose-operator' } });
  private readonly error = h('p', { class: 'dialog-error', attrs: { role: 'alert' } });
  private readonly send = h('button', { class: 'btn btn-send', attrs: { type: 'submit', 'data-action': 'send' } });
  private readonly confirmBox = h('div', { class: 'composer-confirm', attrs: { 'data-testid': 'compose-confirm' } });
  private alarmId: string | undefined;
  /** The linked alarm's school and groups are preselected once, when the alarm is known. */
  private alarmApplied = false;
  private stage: Stage = 'edit';
  /** Parts rebuilt only when what they show changes, so focus stays where the officer put it. */
  private alarmSig = '';
  private confirmSig = '';

  constructor(
    private readonly ctx: ViewContext,
    private readonly onSent: (b: Broadcast) => void,
  ) {
    const groupList = h(
      'div',
      { class: 'check-list' },
      GROUPS.map((g) => {
        const input = h('input', { attrs: { type: 'checkbox', name: 'group', value: g } });
        const text = h('span');
        this.groupBoxes.set(g, { input, text });
        return h('label', { class: 'check' }, input, text);
      }),
    );
    const channelList = h(
      'div',
      { class: 'check-list' },
      CHANNELS.map((c) => {
        const input = h('input', { attrs: { type: 'checkbox', name: 'channel', value: c, checked: true } });
        const text = h('span');
        this.channelBoxes.set(c, { input, text });
        return h('label', { class: 'check' }, input, text);
      }),
    );
    this.fields.append(
      this.alarmLine,
      h('fieldset', { class: 'composer-group' }, this.groupsLegend, groupList),
      h('div', { class: 'composer-field' }, this.schoolLabel, this.school, this.schoolHint),
      h('fieldset', { class: 'composer-group' }, this.channelsLegend, channelList, this.channelsHint),
      h('div', { class: 'composer-field' }, this.textLabel, this.text, this.count, this.rollCallHint),
      this.operatorLine,
    );
    this.text.addEventListener('input', () => this.renderCount());
    // Ctrl+Enter moves on from the text, as in the acknowledge dialog.
    this.text.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) this.root.requestSubmit();
    });
    this.root = h(
      'form',
      { class: 'composer', attrs: { 'data-testid': 'composer', novalidate: true }, on: { submit: (ev) => this.onSubmit(ev) } },
      this.title,
      this.fields,
      this.error,
      h('div', { class: 'dialog-buttons' }, this.send),
      this.confirmBox,
    );
    this.setStage('edit');
  }

  /** Composing for an alarm: linked in the timeline, drawn from its school. */
  setAlarm(alarmId: string | undefined): void {
    if (alarmId === this.alarmId) return;
    this.alarmId = alarmId;
    this.alarmApplied = false;
    this.render();
  }

  private applyAlarm(): void {
    const alarm = this.alarmId ? this.ctx.store.alarm(this.alarmId) : undefined;
    if (!alarm || this.alarmApplied || !this.ctx.store.hasRegistry()) return;
    this.alarmApplied = true;
    this.school.value = alarm.siteId;
    for (const [g, box] of this.groupBoxes) box.input.checked = ALARM_GROUPS.includes(g);
  }

  render(): void {
    const { i18n, store } = this.ctx;
    setText(this.title, i18n.t('compose.title'));
    setText(this.groupsLegend, i18n.t('compose.groups'));
    for (const [g, box] of this.groupBoxes) setText(box.text, i18n.group(g));
    setText(this.schoolLabel, i18n.t('compose.school'));
    setText(this.schoolHint, i18n.t('compose.schoolHint'));
    this.renderSchools();
    setText(this.channelsLegend, i18n.t('compose.channels'));
    for (const [c, box] of this.channelBoxes) setText(box.text, i18n.channel(c));
    setText(this.channelsHint, i18n.t('compose.channelsHint'));
    setText(this.textLabel, i18n.t('compose.text'));
    this.text.placeholder = i18n.t('compose.textPlaceholder');
    setText(this.rollCallHint, i18n.t('compose.rollCallHint'));
    setText(this.operatorLine, `${i18n.t('operator.label')}${i18n.lang === 'zh' ? '：' : ': '}${displayName(this.ctx.user)}`);
    this.renderCount();
    this.applyAlarm();
    const alarm = this.alarmId ? store.alarm(this.alarmId) : undefined;
    this.alarmLine.hidden = !this.alarmId;
    // The alarm decides the school: the gateway draws school-side groups from the alarm's site.
    this.school.disabled = alarm !== undefined;
    setText(this.send, i18n.t('compose.send'));
    const confirmSig = `${i18n.lang}|${this.stage}`;
    if (this.stage !== 'edit' && confirmSig !== this.confirmSig) this.renderConfirm();
    this.confirmSig = confirmSig;
    const alarmSig = `${i18n.lang}|${this.alarmId ?? ''}|${alarm ? 'known' : ''}`;
    if (alarmSig === this.alarmSig) return;
    this.alarmSig = alarmSig;
    this.alarmLine.replaceChildren(
      ...(this.alarmId
        ? [
            h('strong', {}, `${i18n.t('compose.alarm')}: `),
            alarm ? `${i18n.alarmType(alarm.type)} · ${siteName(this.ctx, alarm.siteId)}` : this.alarmId,
            ' ',
            h('button', { class: 'btn btn-secondary btn-small', attrs: { type: 'button', 'data-action': 'unlink' }, on: { click: () => this.ctx.navigate({ view: 'broadcasts' }) } }, i18n.t('compose.alarmRemove')),
          ]
        : []),
    );
  }

  private renderSchools(): void {
    const { i18n, store } = this.ctx;
    const schools = store.sites().filter((s) => store.schoolIds().has(s.id));
    const sig = `${i18n.lang}|${schools.map((s) => s.id).join(',')}`;
    if (this.school.dataset.sig === sig) return;
    this.school.dataset.sig = sig;
    const value = this.school.value;
    this.school.replaceChildren(h('option', { attrs: { value: '' } }, i18n.t('compose.schoolAll')), ...schools.map((s) => h('option', { attrs: { value: s.id } }, i18n.siteName(s, s.id))));
    this.school.value = value;
  }

  private renderCount(): void {
    const n = this.text.value.trim().length;
    setText(this.count, this.ctx.i18n.t('compose.count', { n, m: smsParts(this.text.value.trim()) }));
  }

  private chosen(): { groups: string[]; channels: ChannelName[]; text: string; siteId: string } {
    return {
      groups: [...this.groupBoxes].filter(([, b]) => b.input.checked).map(([g]) => g),
      channels: [...this.channelBoxes].filter(([, b]) => b.input.checked).map(([c]) => c),
      text: this.text.value.trim(),
      siteId: this.school.value,
    };
  }

  private onSubmit(ev: Event): void {
    ev.preventDefault();
    if (this.stage !== 'edit') return;
    const { i18n } = this.ctx;
    const c = this.chosen();
    const problem: [string, HTMLElement] | undefined = !c.groups.length
      ? [i18n.t('compose.needGroup'), this.groupBoxes.get(GROUPS[0])!.input]
      : !c.channels.length
        ? [i18n.t('compose.needChannel'), this.channelBoxes.get('radio')!.input]
        : !c.text
          ? [i18n.t('compose.needText'), this.text]
          : undefined;
    if (problem) {
      this.error.textContent = problem[0];
      problem[1].focus();
      return;
    }
    this.error.textContent = '';
    this.setStage('confirm');
  }

  private renderConfirm(): void {
    const { i18n, store } = this.ctx;
    const c = this.chosen();
    const schoolScoped = c.groups.some((g) => SCHOOL_SCOPED.has(g));
    const where = schoolScoped ? ` (${c.siteId ? i18n.siteName(store.site(c.siteId), c.siteId) : i18n.t('compose.schoolAll')})` : '';
    const confirm = h('button', { class: 'btn btn-send', attrs: { type: 'button', 'data-action': 'confirm', disabled: this.stage === 'sending' }, on: { click: () => void this.submit() } }, i18n.t(this.stage === 'sending' ? 'compose.sending' : 'compose.confirm'));
    const back = h('button', { class: 'btn btn-secondary', attrs: { type: 'button', 'data-action': 'back', disabled: this.stage === 'sending' }, on: { click: () => this.setStage('edit') } }, i18n.t('compose.back'));
    const hadFocus = this.confirmBox.contains(document.activeElement);
    const entering = this.stage === 'confirm' && !this.confirmSig.endsWith('|confirm');
    this.confirmBox.replaceChildren(
      h('h3', {}, i18n.t('compose.confirmTitle')),
      h('dl', { class: 'composer-summary' }, h('dt', {}, i18n.t('compose.to')), h('dd', {}, groupsText(this.ctx, c.groups) + where), h('dt', {}, i18n.t('compose.via')), h('dd', {}, channelsText(this.ctx, c.channels)), h('dt', {}, i18n.t('operator.label')), h('dd', {}, displayName(this.ctx.user))),
      h('blockquote', { class: 'composer-quote' }, c.text),
      h('div', { class: 'dialog-buttons' }, back, confirm),
    );
    if (this.stage === 'confirm' && (hadFocus || entering)) confirm.focus();
  }

  private setStage(stage: Stage): void {
    const wasConfirm = this.stage !== 'edit';
    this.stage = stage;
    this.fields.disabled = stage !== 'edit';
    this.send.hidden = stage !== 'edit';
    this.confirmBox.hidden = stage === 'edit';
    this.root.dataset.stage = stage;
    this.render();
    if (stage === 'edit' && wasConfirm) this.text.focus();
  }

  private async submit(): Promise<void> {
    if (this.stage !== 'confirm') return;
    const { i18n, api } = this.ctx;
    const c = this.chosen();
    this.setStage('sending');
    try {
      const b = await api.createBroadcast({ text: c.text, groups: c.groups, channels: c.channels, ...(c.siteId ? { siteId: c.siteId } : {}), ...(this.alarmId ? { alarmId: this.alarmId } : {}) });
      this.ctx.store.putBroadcast(b);
      this.ctx.toast(i18n.t('toast.broadcastSent', { n: b.tally.total }));
      this.text.value = '';
      this.setStage('edit');
      this.onSent(b);
    } catch (err) {
      this.error.textContent = this.failure(err);
      this.setStage('edit');
    }
  }

  private failure(err: unknown): string {
    const { i18n } = this.ctx;
    if (!(err instanceof ApiError)) return i18n.t('compose.failed', { msg: (err as Error).message });
    if (err.status === 0 || err.status === 401 || err.status === 403) return i18n.t('compose.failed', { msg: errorText(this.ctx, err) });
    if (err.code === 'GW_ERR_BROADCAST_NO_RECIPIENTS') return i18n.t('compose.noRecipients');
    if (err.code === 'GW_ERR_BROADCAST_NOT_STARTED') return i18n.t('compose.notStarted');
    return i18n.t('compose.failed', { msg: err.message });
  }
}
