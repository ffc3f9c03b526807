/**
 * A view the user's role may not see (a bookmarked #/sweeps on a school's screen): said in
 * words, with the way back, instead of an empty page of refused requests.
 */
import { h, setText } from '../dom.js';
import { routeHref } from '../router.js';
import type { RenderReason, View, ViewContext } from './context.js';

export class ForbiddenView implements View {
  private readonly text = h('p', { class: 'empty-state' });
  private readonly back = h('a', { class: 'btn btn-secondary btn-small', attrs: { href: routeHref({ view: 'board' }) } });
  readonly root: HTMLElement;

  constructor(
    private readonly ctx: ViewContext,
    view: string,
  ) {
    this.root = h('section', { class: 'view forbidden', attrs: { 'data-view': 'forbidden', 'data-forbidden': view, 'data-testid': 'forbidden' } }, this.text, this.back);
  }

  render(_reason: RenderReason): void {
    const { i18n, user } = this.ctx;
    setText(this.text, i18n.t('auth.forbiddenView', { role: i18n.role(user.role) }));
    setText(this.back, i18n.t('auth.forbiddenBack'));
  }
}
