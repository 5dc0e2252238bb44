import { Agent, request } from 'undici'

export interface PlainPost {
  readonly url: string
  readonly headers: Record<string, string>
  readonly body: string
}

/**
 * The delivery benchmark's baseline: the same POSTs sent from this process with nothing around
 * them (no database, no signing, no bookkeeping), `concurrency` in flight through one undici Agent
 * with keep-alive, as the worker's sender has. Each answer is read whole and must be 200. Answers
 * the seconds it took.
 */
export async function plainHttpLoop(posts: readonly PlainPost[], concurrency: number): Promise<number> {
  const agent = new Agent({ connections: concurrency, allowH2: false, headersTimeout: 10_000, bodyTimeout: 10_000 })
  let next = 0
  async function lane(): Promise<void> {
    for (let i = next++; i < posts.length; i = next++) {
      const post = posts[i] as PlainPost
      const answer = await request(post.url, {
        dispatcher: agent,
        method: 'POST',
        headers: post.headers,
        body: post.body,
      })
      await answer.body.text()
      if (answer.statusCode !== 200) throw new Error(`the receiver answered ${answer.statusCode} to ${post.url}`)
    }
  }
  try {
    const started = performance.now()
    await Promise.all(Array.from({ length: concurrency }, lane))
    return (performance.now() - started) / 1000
  } finally {
    await agent.close()
  }
}
