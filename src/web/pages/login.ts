// The sign-in form (ADMIN_TOKEN), answered with 401 to anyone not signed in, so the dashboard's routes never show
// more than this to a stranger.
import { html } from '../html.ts';

export function loginPage(csrf: string, next: string, error?: string) {
  return html`<h1>Sign in</h1>
${error ? html`<p class="notice bad">${error}</p>` : ''}
<form method="post" action="/login">
<input type="hidden" name="_csrf" value="${csrf}">
<input type="hidden" name="next" value="${next}">
<label for="token">Admin token <span class="muted">(ADMIN_TOKEN)</span></label>
<input type="password" id="token" name="token" autocomplete="current-password" required>
<p><button class="primary">Sign in</button></p>
</form>`;
}

/** Only our own absolute paths: never another site, never `//host`. */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') && !value.includes('\\')
    ? value
    : '/';
}
