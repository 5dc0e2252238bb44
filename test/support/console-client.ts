import type { FastifyInstance } from 'fastify'
import { expect } from 'vitest'

/** A signed-in console session driven through app.inject: its cookie, and its CSRF token once a page showed it. */
export interface ConsoleClient {
  cookie: string
  get(url: string): Promise<{ status: number; body: string; location: string | undefined }>
  /** Posts a form with the session's CSRF token (read from the overview page) unless `_csrf` is given. */
  post(
    url: string,
    form?: Record<string, string>,
  ): Promise<{ status: number; body: string; location: string | undefined }>
  csrfToken(): Promise<string>
}

/** Signs in at POST /console/sign-in with a key, as the sign-in form does, and expects the session cookie. */
export async function signIn(app: FastifyInstance, key: string): Promise<ConsoleClient> {
  const answer = await app.inject({
    method: 'POST',
    url: '/console/sign-in',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ key }).toString(),
  })
  expect(answer.statusCode, answer.body).toBe(303)
  const setCookie = String(answer.headers['set-cookie'])
  const cookie = setCookie.split(';')[0] ?? ''
  expect(cookie).toMatch(/^flex_console=.+/)
  const get = async (url: string) => {
    const page = await app.inject({ method: 'GET', url, headers: { cookie } })
    return { status: page.statusCode, body: page.body, location: page.headers.location as string | undefined }
  }
  const csrfToken = async () => {
    // /console is the operator's overview; a brand key's session is sent on to its brand's.
    const first = await get('/console')
    const page = first.status === 303 && first.location ? await get(first.location) : first
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1]
    if (!token) throw new Error(`no CSRF token on a signed-in page: ${page.status} ${page.body.slice(0, 300)}`)
    return token
  }
  return {
    cookie,
    get,
    csrfToken,
    async post(url, form = {}) {
      const fields = '_csrf' in form ? form : { ...form, _csrf: await csrfToken() }
      const answer = await app.inject({
        method: 'POST',
        url,
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(fields).toString(),
      })
      return { status: answer.statusCode, body: answer.body, location: answer.headers.location as string | undefined }
    },
  }
}
