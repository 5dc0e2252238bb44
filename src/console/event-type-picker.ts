import { html } from 'ghtml'
import { eventCatalogue } from '../webhooks/event-catalogue.ts'

// The create form's event-type picker: the catalogue as its hierarchy, one nested fieldset per
// prefix (ORDER_EVENTS > ORDER_EVENTS.OMS > ORDER_EVENTS.OMS.ORDER_SHIPPED). Ticking a prefix
// subscribes to every type below it, as the API's prefix subscriptions do. Each checkbox has a
// field name of its own (`event:<type>`), so the plain form post carries every ticked one.

export const eventFieldPrefix = 'event:'

interface TypeNode {
  path: string
  name: string
  description: string | undefined
  children: TypeNode[]
}

/** The catalogue's types as a tree of prefixes, in catalogue order. */
export function eventTypeTree(): TypeNode[] {
  const roots: TypeNode[] = []
  const nodes = new Map<string, TypeNode>()
  for (const definition of eventCatalogue) {
    const parts = definition.type.split('.')
    let siblings = roots
    for (let depth = 1; depth <= parts.length; depth++) {
      const path = parts.slice(0, depth).join('.')
      let node = nodes.get(path)
      if (!node) {
        node = { path, name: parts[depth - 1] ?? path, description: undefined, children: [] }
        nodes.set(path, node)
        siblings.push(node)
      }
      if (depth === parts.length) node.description = definition.description
      siblings = node.children
    }
  }
  return roots
}

/** Every prefix and type, in tree order: the delivery log's type filter offers them. */
export function eventTypePaths(nodes: readonly TypeNode[] = eventTypeTree()): string[] {
  return nodes.flatMap((node) => [node.path, ...eventTypePaths(node.children)])
}

const fieldId = (path: string) => `event-type-${path.replaceAll('.', '-')}`

/** The picker, with `checked` ticked. */
export function eventTypePicker(checked: ReadonlySet<string>): string {
  return html`<fieldset class="type-picker">
    <legend>Event types (a group receives every type below it)</legend>
    !${eventTypeTree().map((node) => pickerNode(node, checked))}
  </fieldset>`
}

function pickerNode(node: TypeNode, checked: ReadonlySet<string>): string {
  const box = html`<input type="checkbox" id="${fieldId(node.path)}" name="${eventFieldPrefix}${node.path}" value="on" !${checked.has(node.path) ? 'checked' : ''}>
    <label for="${fieldId(node.path)}"><code>${node.path}</code>!${node.description ? html` <span class="muted">${node.description}</span>` : ''}</label>`
  if (node.children.length === 0) return html`<div class="type-leaf">!${box}</div>`
  return html`<fieldset class="type-group">
    <legend>!${box}</legend>
    !${node.children.map((child) => pickerNode(child, checked))}
  </fieldset>`
}

/** The ticked types of a posted form. */
export function pickedEventTypes(form: Record<string, unknown>): string[] {
  return Object.keys(form)
    .filter((name) => name.startsWith(eventFieldPrefix) && form[name] === 'on')
    .map((name) => name.slice(eventFieldPrefix.length))
}
