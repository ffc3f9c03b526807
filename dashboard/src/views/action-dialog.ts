/**
 * The second click of acknowledge/resolve: a small modal dialog with an optional note, done
 * in the logged-in operator's name (the gateway records the session's user, never a typed
 * name). <dialog> gives focus trapping and Escape-to-cancel for free.
 */
import { ApiError } from '../api.js';
import { h } from '../dom.js';
import type { Alarm } from '../model.js';
import { displayName } from '../session.js';
import { deviceName, siteName, type ActionKind, type ViewContext } from './context.js';
import { errorText } from './errors.js';

export class ActionDialog {
  readonly root: HTMLDialogElement = h('dialog', { class: 'action-dialog', attrs: { 'aria-labelledby': 'action-dialog-title' } });
  private returnFocus: Element | null = null;

  constructor(private readonly ctx: ViewContext) {
    this.root.addEventListener('close', () => {
      if (this.returnFocus instanceof HTMLElement && this.returnFocus.isConnected) this.returnFocus.focus();
      this.returnFocus = null;
    });
  }

  get isOpen(): boolean {
    return this.root.open;
  }

  open(alarm: Alarm, kind: ActionKind): void {
    const { i18n } = this.ctx;
    if (this.root.open) this.root.close();
    this.returnFocus = document.activeElement;
    const note = h('textarea', { id: 'action-note', attrs: { name: 'note', rows: 3, maxlength: 1000, placeholder: i18n.t('dialog.notePlaceholder') } });
    const error = h('p', { class: 'dialog-error', attrs: { role: 'alert' } });
    const confirmText = i18n.t(kind === 'ack' ? 'dialog.confirmAck' : 'dialog.confirmResolve');
    const confirm = h('button', { class: `btn ${kind === 'ack' ? 'btn-ack' : 'btn-resolve'}`, attrs: { type: 'submit', 'data-action': 'confirm' } }, confirmText);
    const cancel = h('button', { class: 'btn btn-secondary', attrs: { type: 'button', 'data-action': 'cancel' }, on: { click: () => this.root.close() } }, i18n.t('dialog.cancel'));

    const submit = async (ev: Event) => {
      ev.preventDefault();
      confirm.disabled = true;
      confirm.textContent = i18n.t('dialog.sending');
      error.textContent = '';
      const what = `${i18n.alarmType(alarm.type)} · ${siteName(this.ctx, alarm.siteId)}`;
      try {
        const input = { note: note.value };
        // The live feed brings the new state, in order with every other change of the alarm.
        if (kind === 'ack') await this.ctx.api.acknowledge(alarm.id, input);
        else await this.ctx.api.resolve(alarm.id, input);
        this.root.close();
        this.ctx.toast(i18n.t(kind === 'ack' ? 'toast.acked' : 'toast.resolved', { what }));
      } catch (err) {
        if (err instanceof ApiError && (err.status === 409 || err.status === 404)) {
          // Someone else was quicker (or it cleared itself): the live feed brings the new state.
          this.root.close();
          this.ctx.toast(i18n.t('error.conflict'), 'error');
          return;
        }
        error.textContent = i18n.t('error.actionFailed', { msg: errorText(this.ctx, err) });
        confirm.disabled = false;
        confirm.textContent = confirmText;
      }
    };

    const form = h(
      'form',
      { on: { submit: (ev) => void submit(ev) } },
      h('h2', { id: 'action-dialog-title' }, i18n.t(kind === 'ack' ? 'dialog.ackTitle' : 'dialog.resolveTitle')),
      h('p', { class: 'dialog-what' }, `${i18n.alarmType(alarm.type)} · ${siteName(this.ctx, alarm.siteId)}${alarm.deviceId ? ` · ${deviceName(this.ctx, alarm.deviceId)}` : ''}`),
      h('p', { class: 'dialog-operator', attrs: { 'data-testid': 'action-operator' } }, `${i18n.t('operator.label')}${i18n.lang === 'zh' ? '：' : ': '}${displayName(this.ctx.user)}`),
      h('label', { attrs: { for: 'action-note' } }, i18n.t('dialog.note')),
      note,
      error,
      h('div', { class: 'dialog-buttons' }, cancel, confirm),
    );
    // Ctrl+Enter sends from the note field, as in chat tools officers know.
    note.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) form.requestSubmit();
    });
    this.root.setAttribute('data-kind', kind);
    this.root.replaceChildren(form);
    this.root.showModal();
    note.focus();
  }
}
