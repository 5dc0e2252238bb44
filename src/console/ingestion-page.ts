import { html } from 'ghtml'
import { entityTypes } from '../ingest/entity-types.ts'
import type { IngestionSummary } from '../ingest/ingestion-summary.ts'
import { recordOutcomes } from '../ingest/record-outcome.ts'
import { type LoggedRejection, type RejectionPageQuery, rejectionLogSize } from '../ingest/rejection-log.ts'
import { type ConsoleView, consolePage, consolePath } from './layout.ts'

/** What the ingestion page shows: what GET .../ingestion/summary and .../ingestion/rejections answer. */
export interface IngestionPageData {
  brandId: string
  summary: IngestionSummary
  rejections: { rejections: LoggedRejection[]; lastId: number | null }
  query: RejectionPageQuery
}

/**
 * A brand's ingestion: records over the last 24 hours by entity type and outcome, the references
 * still waiting with the oldest's age, and the rejection log (field, rule, message), filtered by
 * entity type with a GET form and paged by an "older" link, so it all works without script.
 */
export function ingestionPage(view: ConsoleView, data: IngestionPageData): string {
  return consolePage({
    title: `Ingestion of ${data.brandId}`,
    view,
    body: html`!${countsSection(data.summary)}
      !${waitingSection(data.summary)}
      !${rejectionsSection(data)}`,
  })
}

/**
 * The ingestion part of a brand's overview: the last 24 hours' records in one sentence, what waits
 * and since when, and the way to the ingestion page.
 */
export function ingestionOverview(brandId: string, summary: IngestionSummary): string {
  const total = (outcome: (typeof recordOutcomes)[number]) => summary.counts.reduce((sum, row) => sum + row[outcome], 0)
  const stored = total('created') + total('updated')
  const rejected = total('rejected')
  const waiting = summary.waiting.reduce((sum, w) => sum + w.waiting, 0)
  const oldest = Math.max(0, ...summary.waiting.map((w) => w.oldest_age_seconds))
  return html`<section aria-labelledby="ingestion-heading">
    <h2 id="ingestion-heading">Ingestion over the last 24 hours</h2>
    <p>
      ${stored.toLocaleString('en')} records stored (${total('created').toLocaleString('en')} created,
      ${total('updated').toLocaleString('en')} updated), ${(total('unchanged') + total('stale')).toLocaleString('en')}
      unchanged or stale,
      !${rejected > 0 ? html`<span class="status status-failed">${rejected.toLocaleString('en')} rejected</span>` : html`none rejected`}.
      !${
        waiting > 0
          ? html`<span class="status status-waiting">${waiting.toLocaleString('en')} references waiting</span>, the oldest for ${age(oldest)}.`
          : html`No references are waiting.`
      }
    </p>
    <p><a href="${consolePath(brandId, '/ingestion')}">Ingestion details: counts by entity type, waiting references, rejections</a></p>
  </section>`
}

function countsSection(summary: IngestionSummary): string {
  return html`<section aria-labelledby="counts-heading">
    <h2 id="counts-heading">Records over the last 24 hours</h2>
    <table class="ingestion-counts">
      <caption>Records by entity type and outcome, API and files, from ${utc(summary.from)} to ${utc(summary.to)}</caption>
      <thead>
        <tr>
          <th scope="col">Entity type</th>
          !${recordOutcomes.map((outcome) => html`<th scope="col" class="number">${outcome}</th>`)}
        </tr>
      </thead>
      <tbody>
        !${summary.counts.map(
          (row) => html`<tr>
            <th scope="row">${row.entity_type}</th>
            !${recordOutcomes.map(
              (outcome) =>
                html`<td class="number!${outcome === 'rejected' && row.rejected > 0 ? ' status-failed' : ''}">${row[outcome].toLocaleString('en')}</td>`,
            )}
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`
}

function waitingSection(summary: IngestionSummary): string {
  const body =
    summary.waiting.length === 0
      ? html`<p>No references are waiting: every referenced entity has arrived.</p>`
      : html`<table class="waiting-references">
          <caption>References to entities that have not arrived yet, by type (they are never dropped)</caption>
          <thead>
            <tr>
              <th scope="col">Referring type</th>
              <th scope="col">Referenced type</th>
              <th scope="col" class="number">Waiting</th>
              <th scope="col">Oldest waiting since</th>
              <th scope="col">Oldest's age</th>
            </tr>
          </thead>
          <tbody>
            !${summary.waiting.map(
              (w) => html`<tr>
                <td>${w.source_type}</td>
                <td>${w.target_type}</td>
                <td class="number">${w.waiting.toLocaleString('en')}</td>
                <td>${utc(w.oldest_since)}</td>
                <td><span class="status status-waiting">${age(w.oldest_age_seconds)}</span></td>
              </tr>`,
            )}
          </tbody>
        </table>`
  return html`<section aria-labelledby="waiting-heading">
    <h2 id="waiting-heading">Waiting references</h2>
    !${body}
  </section>`
}

function rejectionsSection(data: IngestionPageData): string {
  const { brandId, query, rejections } = data
  const page = (startId?: number) => {
    const params = new URLSearchParams()
    if (query.entity !== undefined) params.set('entity', query.entity)
    if (startId !== undefined) params.set('startId', String(startId))
    const search = params.toString()
    return `${consolePath(brandId, '/ingestion')}${search ? `?${search}` : ''}#rejections-heading`
  }
  const list =
    rejections.rejections.length === 0
      ? html`<p>${query.startId === undefined ? 'No records were rejected' : 'No older rejections'}${query.entity === undefined ? '' : ` of type ${query.entity}`}.</p>`
      : html`<table class="rejections">
          <caption>Rejected records, newest first: each error's field, the rule it broke and the message the integrator got</caption>
          <thead>
            <tr>
              <th scope="col">Rejected at</th>
              <th scope="col">Entity type</th>
              <th scope="col">Record id</th>
              <th scope="col">Source</th>
              <th scope="col">Errors</th>
            </tr>
          </thead>
          <tbody>
            !${rejections.rejections.map(rejectionRow)}
          </tbody>
        </table>`
  const links = [
    query.startId === undefined ? '' : html`<a href="${page()}">Newest rejections</a>`,
    rejections.lastId === null ? '' : html`<a href="${page(rejections.lastId)}" rel="next">Older rejections</a>`,
  ].filter((link) => link !== '')
  return html`<section aria-labelledby="rejections-heading">
    <h2 id="rejections-heading">Recent rejections</h2>
    <p>The newest ${rejectionLogSize.toLocaleString('en')} rejected records of the brand are kept: their id and errors, never their content.</p>
    <form class="filter" method="get" action="${consolePath(brandId, '/ingestion')}">
      <label for="rejections-entity">Entity type</label>
      <select id="rejections-entity" name="entity">
        <option value="">all types</option>
        !${entityTypes.map((type) => html`<option value="${type}" !${type === query.entity ? 'selected' : ''}>${type}</option>`)}
      </select>
      <button type="submit">Filter</button>
    </form>
    !${list}
    !${links.length > 0 ? html`<nav aria-label="Rejection pages" class="pages">!${links.join(' ')}</nav>` : ''}
  </section>`
}

function rejectionRow(rejection: LoggedRejection): string {
  const more = rejection.error_count - rejection.errors.length
  return html`<tr>
    <td>${utc(rejection.rejected_at)}</td>
    <td>${rejection.entity_type}</td>
    <td>!${rejection.record_id === null ? html`<em>no id</em>` : html`<code>${rejection.record_id}</code>`}</td>
    <td>${rejection.source === 'api' ? 'API' : 'file'}</td>
    <td>
      <ul class="errors">
        !${rejection.errors.map(
          (error) =>
            html`<li><code>${error.field}</code> <span class="rule">(rule: ${error.rule})</span> ${error.message}</li>`,
        )}
        !${more > 0 ? html`<li>and ${more} more</li>` : ''}
      </ul>
    </td>
  </tr>`
}

/** An instant to the second, in UTC, as people read it. */
function utc(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

/** A duration in words: "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
function age(seconds: number): string {
  if (seconds < 60) return `${seconds} s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min`
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return `${hours} h ${minutes % 60} min`
  return `${Math.floor(hours / 24)} d ${hours % 24} h`
}
