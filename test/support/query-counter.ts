import type { KyselyPlugin } from 'kysely'

/** The queries a Kysely instance runs (`db.withPlugin(counter)`), counted as their results come back. */
export function queryCounter(): KyselyPlugin & { count: number } {
  return {
    count: 0,
    transformQuery: (args) => args.node,
    async transformResult(args) {
      this.count++
      return args.result
    },
  }
}
