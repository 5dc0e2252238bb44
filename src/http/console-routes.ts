import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import cookie from '@fastify/cookie'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { lookUpKey } from '../apikeys/api-key-repository.ts'
import { listBrands } from '../brands/brand-repository.ts'
import {
  type ConsoleSession,
  csrfTokenMatches,
  defaultSessionLifetimeMs,
  endSession,
  findSession,
  startSession,
} from '../console/console-sessions.ts'
import { type ConsoleView, consolePath, errorPage, signInPage } from '../console/layout.ts'
import type { DatabaseHandle } from '../db/connect.ts'
import { FlexError } from '../errors.ts'
import type { ExportRunStarter } from '../exports/export-run-starter.ts'
import { authorizeBrand } from './api-key-auth.ts'
import { consoleExportsPages } from './console-exports-pages.ts'
import { consoleIngestionPages } from './console-ingestion-pages.ts'
import { consoleOverviewPages, type OverviewOptions } from './console-overview-pages.ts'
import { sendPage } from './console-reply.ts'
import { consoleWebhookPages, type WebhookPagesOptions } from './console-webhooks-pages.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** A console request's session and brand, set before its handler runs (console-routes.ts). */
    consoleView: ConsoleView
  }
}

export interface ConsoleRoutesOptions extends OverviewOptions {
  database: DatabaseHandle
  /** How long a sign-in lasts (default 8 h). */
  sessionLifetimeMs?: number
  /** Starts the exports view's "export this day again" (flex serve's); without it that answers 503. */
  exportStarter?: ExportRunStarter | undefined
  /** The webhook pages' test sends go through the API's guarded sender, under the same address rules. */
  webhooks: Pick<WebhookPagesOptions, 'allowedNetworks' | 'sender'>
}

/** The cookie that carries the session token; `__Host-` would demand Secure, which plain http lacks. */
export const sessionCookie = 'flex_console'

/** Files the pages load, from the console's own folder and from npm packages: no CDN, no build step. */
const assets = loadAssets()

/**
 * The web console (registered with the prefix /console), server-rendered pages over the same feature functions as the
 * JSON API:
 *   GET  /console/sign-in, POST /console/sign-in   an API key for a session cookie
 *   POST /console/sign-out                          ends the session
 *   GET  /console/assets/:name                      CSS and scripts
 *   GET  /console, /console/:brandId/...            pages (console-<surface>-pages.ts)
 * Every other request needs a live session (HttpOnly, SameSite=Strict cookie; Secure behind https),
 * every POST its CSRF token, and every :brandId route a session that may see the brand.
 */
export const consoleRoutes: FastifyPluginAsync<ConsoleRoutesOptions> = async (app, options) => {
  const { database } = options
  const db = database.db
  const lifetimeMs = options.sessionLifetimeMs ?? defaultSessionLifetimeMs
  const now = options.now

  await app.register(cookie)
  app.decorateRequest('consoleView', undefined as unknown as ConsoleView)
  // Forms post urlencoded bodies; only the console reads them (the API answers them 415).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })

  // Pages load only the console's own files, and no other site may frame them.
  app.addHook('onSend', async (_request, reply) => {
    reply.header(
      'content-security-policy',
      "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    )
    reply.header('x-content-type-options', 'nosniff')
    reply.header('referrer-policy', 'same-origin')
  })

  app.setErrorHandler((error, request, reply) => {
    const status =
      error instanceof FlexError ? error.httpStatus : ((error as { statusCode?: number }).statusCode ?? 500)
    if (status >= 500) request.log.error({ err: error }, 'console page failed')
    const message =
      status >= 500 || !(error instanceof Error)
        ? 'The server could not show this page; the error is in its log.'
        : error.message
    const validations = error instanceof FlexError && status < 500 ? error.validations : undefined
    return reply
      .status(status)
      .type('text/html; charset=utf-8')
      .send(errorPage(status, message, validations))
  })
  app.setNotFoundHandler((request, reply) => {
    return reply
      .status(404)
      .type('text/html; charset=utf-8')
      .send(errorPage(404, `There is no console page at ${request.url.split('?')[0]}.`))
  })

  app.get<{ Params: { name: string } }>('/assets/:name', async (request, reply) => {
    const asset = assets.get(request.params.name)
    if (!asset) throw new FlexError('NOT_FOUND', `no console asset ${request.params.name}`)
    return reply.type(asset.type).header('cache-control', 'public, max-age=3600').send(asset.body)
  })

  app.get('/sign-in', async (_request, reply) => sendPage(reply, signInPage()))

  app.post<{ Body: Record<string, string> | undefined }>('/sign-in', async (request, reply) => {
    refuseCrossOrigin(request)
    const key = typeof request.body?.key === 'string' ? request.body.key.trim() : ''
    const found = key ? await lookUpKey(db, key) : undefined
    const problem = !found
      ? 'That API key is unknown or revoked.'
      : found.signingSecret !== null
        ? 'This key requires signed requests, which a browser cannot make; sign in with a key that does not.'
        : undefined
    if (!found || problem) {
      request.log.info({ reason: problem }, 'console sign-in refused')
      return reply.status(401).type('text/html; charset=utf-8').send(signInPage(problem))
    }
    const { token, session } = await startSession(db, found, { now: now(), lifetimeMs })
    request.log.info({ apiKeyId: found.id, operator: found.operator }, 'console session started')
    reply.setCookie(sessionCookie, token, {
      path: '/console',
      httpOnly: true,
      sameSite: 'strict',
      secure: isHttps(request),
      expires: session.expiresAt,
    })
    return reply.redirect('/console', 303)
  })

  // Every route below needs a session; POSTs also their CSRF token.
  await app.register(async (signedIn) => {
    signedIn.addHook('preHandler', async (request, reply) => {
      const token = request.cookies[sessionCookie]
      const session = token ? await findSession(db, token, now()) : undefined
      if (!session) {
        if (request.method === 'GET') return reply.redirect('/console/sign-in', 303)
        throw new FlexError('UNAUTHENTICATED', 'Your console session has ended; sign in again.')
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        refuseCrossOrigin(request)
        const presented = (request.body as Record<string, unknown> | undefined)?._csrf
        if (!csrfTokenMatches(session, presented)) {
          throw new FlexError(
            'FORBIDDEN',
            'This form is out of date or did not come from the console; reload the page.',
          )
        }
      }
      const brandId = (request.params as { brandId?: string }).brandId
      if (brandId !== undefined) await authorizeBrand(database, session, brandId)
      request.consoleView = { session, brandId, brandIds: await visibleBrands(session) }
    })

    signedIn.post('/sign-out', async (request, reply) => {
      const token = request.cookies[sessionCookie]
      if (token) await endSession(db, token)
      request.log.info({ apiKeyId: request.consoleView.session.apiKeyId }, 'console session ended')
      reply.clearCookie(sessionCookie, { path: '/console' })
      return reply.redirect('/console/sign-in', 303)
    })

    // The brand picker's form, which works without script: GET /console/brand?brand=acme.
    signedIn.get<{ Querystring: { brand?: string } }>('/brand', async (request, reply) => {
      const brand = request.query.brand ?? ''
      await authorizeBrand(database, request.consoleView.session, brand)
      return reply.redirect(consolePath(brand), 303)
    })

    await signedIn.register(consoleOverviewPages, { database, deadline: options.deadline, now })
    await signedIn.register(consoleExportsPages, {
      database,
      deadline: options.deadline,
      now,
      starter: options.exportStarter,
    })
    await signedIn.register(consoleWebhookPages, { database, now, ...options.webhooks })
    await signedIn.register(consoleIngestionPages, { database, now })
  })

  async function visibleBrands(session: ConsoleSession): Promise<string[]> {
    if (!session.operator) return [session.brandId]
    return (await listBrands(db)).map((brand) => brand.id)
  }
}

/** Behind a proxy that ends TLS (Cloud Run), X-Forwarded-Proto says the browser used https. */
function isHttps(request: FastifyRequest): boolean {
  const forwarded = request.headers['x-forwarded-proto']
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim()
  return request.protocol === 'https' || first === 'https'
}

/**
 * A browser names the page a form came from in Origin; one from another site is refused (the
 * session cookie is SameSite=Strict already; this also covers the sign-in form, before any cookie).
 */
function refuseCrossOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin
  if (origin === undefined || origin === 'null') return
  let host: string
  try {
    host = new URL(origin).host
  } catch {
    host = ''
  }
  if (host !== request.headers.host) {
    throw new FlexError('FORBIDDEN', `A form from ${origin} may not act on this console.`)
  }
}

function loadAssets(): Map<string, { type: string; body: Buffer }> {
  const require = createRequire(import.meta.url)
  const own = (name: string) => new URL(`../console/assets/${name}`, import.meta.url)
  const files: [string, string, string | URL][] = [
    ['console.css', 'text/css; charset=utf-8', own('console.css')],
    ['charts.js', 'text/javascript; charset=utf-8', own('charts.js')],
    ['uplot.js', 'text/javascript; charset=utf-8', require.resolve('uplot/dist/uPlot.iife.min.js')],
    ['uplot.css', 'text/css; charset=utf-8', require.resolve('uplot/dist/uPlot.min.css')],
  ]
  return new Map(files.map(([name, type, path]) => [name, { type, body: readFileSync(path) }]))
}
