// The page shell every dashboard page shares: header, navigation, one stylesheet and one script, both served from
// /assets (the Content-Security-Policy allows nothing else).
import { type Html, html } from './html.ts';

export interface PageOptions {
  title: string;
  /** The nav entry to mark as current. */
  section?: 'overview' | 'tickets' | 'sample';
  /** Seconds between automatic refreshes (the script skips them while someone is typing in a form). */
  refreshSeconds?: number;
  /** The CSRF token for the sign-out form; absent when nobody is signed in (loopback access or the login page). */
  csrf?: string;
  signedIn?: boolean;
  development?: boolean;
}

export function layout(options: PageOptions, body: Html): string {
  const nav = (section: PageOptions['section'], href: string, label: string) =>
    html`<a href="${href}"${options.section === section ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · hubspot-triage</title>
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
</head><body${options.refreshSeconds ? html` data-refresh="${options.refreshSeconds}"` : ''}>
<header><a class="brand" href="/">hubspot-triage</a><nav>${nav('overview', '/', 'Overview')}${nav('tickets', '/tickets', 'Tickets')}${
    options.development ? nav('sample', '/sample', 'Send a sample') : ''
  }</nav>${
    options.signedIn && options.csrf
      ? html`<form method="post" action="/logout" class="signout"><input type="hidden" name="_csrf" value="${options.csrf}"><button>Sign out</button></form>`
      : ''
  }</header>
<main>
${body}
</main>
</body></html>`.value;
}
