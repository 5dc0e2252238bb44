import type { FastifyReply } from 'fastify'

/** A console page as the answer: HTML, never cached (it shows a session's data). */
export function sendPage(reply: FastifyReply, page: string): FastifyReply {
  return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page)
}
