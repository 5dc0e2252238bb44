import { html } from 'ghtml'
import type { ConsoleSession } from './console-sessions.ts'

/** What every console page knows besides its own data: the session and the brand it shows. */
export interface ConsoleView {
  session: ConsoleSession
  /** The brand the page is about; undefined on pages across brands (an operator's overview). */
  brandId: string | undefined
  /** The brands the session may see, for the brand picker (an operator's: every brand). */
  brandIds: readonly string[]
}

/** The console's sections for one brand, in the navigation's order. */
const sections = [
  { path: '', label: 'Overview' },
  { path: '/exports', label: 'Exports' },
  { path: '/webhooks', label: 'Webhooks' },
  { path: '/ingestion', label: 'Ingestion' },
] as const

/** The hidden field that carries the session's CSRF token; every POST form of the console has it. */
export function csrfField(view: ConsoleView): string {
  return html`<input type="hidden" name="_csrf" value="${view.session.csrfToken}">`
}

/** The path of a brand's console page: consolePath('acme', '/webhooks') is /console/acme/webhooks. */
export function consolePath(brandId: string, path = ''): string {
  return `/console/${encodeURIComponent(brandId)}${path}`
}

/** A whole console page: head with the local assets, navigation, sign-out, then the page's body. */
export function consolePage(options: { title: string; view: ConsoleView; body: string; head?: string }): string {
  const { view } = options
  const who = view.session.operator ? 'operator key' : `key of brand ${view.session.brandId}`
  return document(
    `${options.title} · Flex console`,
    html`<header class="top">
      <a class="home" href="/console">Flex console</a>
      !${brandNavigation(view)}
      <form class="sign-out" method="post" action="/console/sign-out">
        !${csrfField(view)}
        <span class="who">Signed in with an ${who}</span>
        <button type="submit">Sign out</button>
      </form>
    </header>
    <main id="main">
      <h1>${options.title}</h1>
      !${options.body}
    </main>`,
    options.head ?? '',
  )
}

function brandNavigation(view: ConsoleView): string {
  const picker =
    view.brandIds.length > 1
      ? html`<form class="brand-picker" method="get" action="/console/brand">
          <label for="brand-picker">Brand</label>
          <select id="brand-picker" name="brand">
            !${view.brandIds.map((id) => html`<option value="${id}" !${id === view.brandId ? 'selected' : ''}>${id}</option>`)}
          </select>
          <button type="submit">Open</button>
        </form>`
      : ''
  if (view.brandId === undefined) return picker
  const brandId = view.brandId
  return html`<nav aria-label="Brand ${brandId}">
      <span class="brand">${brandId}</span>
      <ul>
        !${sections.map((section) => html`<li><a href="${consolePath(brandId, section.path)}">${section.label}</a></li>`)}
      </ul>
    </nav>
    !${picker}`
}

/** A page outside a session: sign-in and the error pages. */
export function document(title: string, body: string, head = ''): string {
  return html`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title}</title>
  <link rel="stylesheet" href="/console/assets/console.css">
  !${head}
</head>
<body>
!${body}
</body>
</html>`
}

/** The sign-in form; `problem` says why the last attempt failed. */
export function signInPage(problem?: string): string {
  return document(
    'Sign in · Flex console',
    html`<main id="main" class="sign-in">
      <h1>Flex console</h1>
      <p>Sign in with an API key: a brand's key shows that brand, an operator key
        (<code>flex apikey create --operator</code>) every brand.</p>
      !${problem ? html`<p class="problem" role="alert">${problem}</p>` : ''}
      <form method="post" action="/console/sign-in">
        <label for="api-key">API key</label>
        <input id="api-key" name="key" type="password" autocomplete="off" required>
        <button type="submit">Sign in</button>
      </form>
    </main>`,
  )
}

/**
 * An error page inside or outside a session: what went wrong and where to go, and for a request
 * that broke rules (a query, a form) each parameter with the rule it broke.
 */
export function errorPage(status: number, message: string, validations?: Readonly<Record<string, string>>): string {
  const problems = Object.entries(validations ?? {})
  return document(
    `${status} · Flex console`,
    html`<main id="main">
      <h1>${status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'Something went wrong'}</h1>
      <p role="alert">${message}</p>
      !${problems.length > 0 ? html`<ul class="problems">!${problems.map(([name, rule]) => html`<li>${name}: ${rule}</li>`)}</ul>` : ''}
      <p><a href="/console">Back to the console</a></p>
    </main>`,
  )
}
