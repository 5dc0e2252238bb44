/**
 * A `<script type="application/json">` data island for charts.js. Raw, not through html``: its
 * escaping would turn quotes into entities, which a script element does not decode. Every `<` is
 * written as \u003c, so no value can close the element (`</script>`) or open a comment.
 */
export function jsonIsland(id: string, data: unknown): string {
  if (!/^[a-z][a-z0-9-]*$/.test(id)) throw new Error(`not a data island id: ${id}`)
  return `<script type="application/json" id="${id}">${JSON.stringify(data).replaceAll('<', '\\u003c')}</script>`
}
