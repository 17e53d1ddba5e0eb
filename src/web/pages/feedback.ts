// The feedback form on a ticket's page: was the triage useful, which priority would a person have chosen, was the
// draft used, a note. Parsed here into the store's input; a bad value is a 400 naming the field.

import type { FeedbackStore } from '../../db/feedback-store.ts';
import { NOTE_MAX } from '../../db/feedback-store.ts';
import { PRIORITIES } from '../../domain/triage-output.ts';
import { HttpError } from '../../http/errors.ts';
import { html } from '../html.ts';

export type SavedFeedback = Awaited<ReturnType<FeedbackStore['feedbackFor']>>;

export interface FeedbackFields {
  useful: boolean;
  chosenPriority: string | null;
  draftUsed: boolean | null;
  note: string | null;
}

const invalid = (field: string, message: string) =>
  new HttpError(400, 'invalid_feedback', `${field}: ${message}`, { details: { field } });

export function parseFeedback(body: Record<string, unknown>): FeedbackFields {
  const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string).trim() : '');
  const useful = text('useful');
  if (useful !== 'yes' && useful !== 'no') throw invalid('useful', 'must be yes or no');
  const priority = text('priority');
  if (priority && !(PRIORITIES as readonly string[]).includes(priority)) {
    throw invalid('priority', `must be one of ${PRIORITIES.join(', ')} or empty`);
  }
  const draft = text('draft');
  if (draft && draft !== 'yes' && draft !== 'no') throw invalid('draft', 'must be yes, no or empty');
  const note = text('note');
  if (note.length > NOTE_MAX) throw invalid('note', `at most ${NOTE_MAX} characters`);
  return {
    useful: useful === 'yes',
    chosenPriority: priority || null,
    draftUsed: draft ? draft === 'yes' : null,
    note: note || null,
  };
}

export function feedbackForm(action: string, csrf: string, saved: SavedFeedback, hasDraft: boolean) {
  const radio = (name: string, value: string, label: string, checked: boolean) =>
    html`<label class="inline"><input type="radio" name="${name}" value="${value}"${checked ? html` checked` : ''}> ${label}</label> `;
  return html`<h2>Feedback</h2>
${saved ? html`<p class="muted">Saved ${saved.useful ? 'useful' : 'not useful'}${saved.chosenPriority ? `, would have chosen ${saved.chosenPriority}` : ''}. Sending again replaces it.</p>` : ''}
<form method="post" action="${action}" class="feedback">
<input type="hidden" name="_csrf" value="${csrf}">
<fieldset><legend>Was this triage useful?</legend>${radio('useful', 'yes', 'useful', saved?.useful === true)}${radio('useful', 'no', 'not useful', saved?.useful === false)}</fieldset>
<label for="fb-priority">Priority you would have chosen</label>
<select id="fb-priority" name="priority"><option value="">same / not sure</option>${PRIORITIES.map(
    (p) => html`<option${saved?.chosenPriority === p ? html` selected` : ''}>${p}</option>`,
  )}</select>
${hasDraft ? html`<fieldset><legend>Did you use the reply draft?</legend>${radio('draft', 'yes', 'yes (as is or edited)', saved?.draftUsed === true)}${radio('draft', 'no', 'no', saved?.draftUsed === false)}</fieldset>` : ''}
<label for="fb-note">Note</label><textarea id="fb-note" name="note" maxlength="${NOTE_MAX}">${saved?.note ?? ''}</textarea>
<p><button class="primary">Save feedback</button></p>
</form>`;
}
