/**
 * Change of the signed-on administrator's password. While the first administrator still has
 * the one-time password printed at first start, this is the only page the console shows.
 * The current password is checked by the repository server (a wrong one counts as a failed
 * sign-on); the new one is stored by `chssouser -password` (argon2id).
 */
import { html } from '../html.ts';
import type { ConsoleOptions } from '../app.ts';
import type { ConsoleRoute } from '../page.ts';

/** Shortest new password accepted by the console, characters. */
export const MIN_CONSOLE_PASSWORD = 12;

export function passwordRoutes(o: ConsoleOptions): ConsoleRoute[] {
  return [
    {
      method: 'GET',
      path: 'password',
      handle: (r) =>
        Promise.resolve({
          kind: 'page',
          section: undefined,
          title: r.t('passwordTitle'),
          body: html`${r.session.mustChange ? html`<p class="flash error" role="alert">${r.t('mustChange')}</p>` : ''}
            <form method="post" action="/console/password" class="stack">
              <input type="hidden" name="csrf" value="${r.csrf}" />
              <input
                type="text"
                name="username"
                autocomplete="username"
                value="${r.session.uid}"
                hidden
              />
              <label for="current">${r.t('currentPassword')}</label
              ><input
                id="current"
                name="current"
                type="password"
                autocomplete="current-password"
                required
              />
              <label for="next"
                >${r.t('newPassword')}
                <span class="hint">${r.t('passwordRule', { n: MIN_CONSOLE_PASSWORD })}</span></label
              ><input
                id="next"
                name="next"
                type="password"
                autocomplete="new-password"
                minlength="${MIN_CONSOLE_PASSWORD}"
                required
              />
              <label for="confirm">${r.t('confirmPassword')}</label
              ><input
                id="confirm"
                name="confirm"
                type="password"
                autocomplete="new-password"
                required
              />
              <div><button type="submit">${r.t('changePassword')}</button></div>
            </form>`,
        }),
    },
    {
      method: 'POST',
      path: 'password',
      // `username` is the hidden field that lets password managers know whose password it is.
      form: { fields: { username: 256, current: 1024, next: 1024, confirm: 1024 }, maxBytes: 8192 },
      handle: async (r) => {
        const current = r.form.get('current') ?? '';
        const next = r.form.get('next') ?? '';
        const fail = (text: string) =>
          ({ kind: 'redirect', to: '/console/password', flash: { kind: 'error', text } }) as const;
        if (next !== (r.form.get('confirm') ?? '')) return fail(r.t('passwordMismatch'));
        if (Array.from(next).length < MIN_CONSOLE_PASSWORD)
          return fail(r.t('passwordRule', { n: MIN_CONSOLE_PASSWORD }));
        if (next === current) return fail(r.t('passwordSame'));
        const check = await o.repository.authenticate({
          uid: r.session.uid,
          password: current,
          client: r.client,
          authServer: undefined,
        });
        if (check.outcome.outcome !== 'succeeded') return fail(r.t('currentWrong'));
        const done = await r.run('chssouser', { object: r.session.uid, password: next });
        if (!done.ok) return fail(done.message);
        r.session.mustChange = false;
        return {
          kind: 'redirect',
          to: '/console/users',
          flash: { kind: 'ok', text: r.t('passwordChanged') },
        };
      },
    },
  ];
}
