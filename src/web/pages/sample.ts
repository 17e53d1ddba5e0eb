// Development only: a form that sends a made-up ticket through the real webhook endpoint, so a first-time user
// sees the whole path (intake, queue, triage, the message) without HubSpot.
import { html } from '../html.ts';

export const SAMPLE = {
  subject: 'CSV export does nothing',
  body: 'Since this morning the export button on the Reports page does nothing. We need the report for a board meeting tomorrow.',
  tier: 'business',
};

export function samplePage(csrf: string) {
  return html`<h1>Send a sample ticket</h1>
<p class="muted">Posts to this service's own <code>/webhook/hubspot</code> with the development token, as HubSpot would. Development mode only.</p>
<form method="post" action="/sample">
<input type="hidden" name="_csrf" value="${csrf}">
<label for="subject">Subject</label><input type="text" id="subject" name="subject" value="${SAMPLE.subject}" required maxlength="300" size="60">
<label for="body">Body</label><textarea id="body" name="body" required maxlength="20000">${SAMPLE.body}</textarea>
<label for="tier">Customer tier</label><select id="tier" name="tier">${['enterprise', 'business', 'pro', 'free'].map(
    (tier) => html`<option${tier === SAMPLE.tier ? html` selected` : ''}>${tier}</option>`,
  )}</select>
<p><button class="primary">Send</button></p>
</form>`;
}
