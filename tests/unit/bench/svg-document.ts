// Reads an SVG chart with a real XML parser (fast-xml-parser): whether it is well-formed, its root, and
// the parts of Vega's output the chart tests look at (aria labels of title, axes and legend; axis labels).
import { XMLParser, XMLValidator } from 'fast-xml-parser'

type XmlNode = { readonly [key: string]: unknown }

export interface SvgDocument {
  readonly rootName: string
  readonly root: XmlNode
  /** Every element, depth first. */
  readonly elements: readonly XmlNode[]
}

/** Parses `text`; throws with the parser's line and column when it is not well-formed XML. */
export function parseSvg(text: string): SvgDocument {
  const valid = XMLValidator.validate(text)
  if (valid !== true) {
    const { msg, line, col } = valid.err
    throw new Error(`not well-formed XML at ${line}:${col}: ${msg}`)
  }
  const parsed = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
  }).parse(text) as XmlNode
  const roots = Object.keys(parsed).filter((key) => !key.startsWith('?'))
  if (roots.length !== 1) throw new Error(`expected one root element, found ${roots.join(', ') || 'none'}`)
  const rootName = roots[0]!
  const root = parsed[rootName] as XmlNode
  return { rootName, root, elements: [root, ...descendants(root)] }
}

function* descendants(node: XmlNode): Generator<XmlNode> {
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('@_') || key === '#text') continue
    for (const child of Array.isArray(value) ? value : [value]) {
      if (child !== null && typeof child === 'object') {
        yield child as XmlNode
        yield* descendants(child as XmlNode)
      }
    }
  }
}

export const attribute = (node: XmlNode, name: string): string | undefined => {
  const value = node[`@_${name}`]
  return typeof value === 'string' ? value : undefined
}

/** The aria-label of every element whose aria-roledescription is `role` (Vega labels its marks). */
export function ariaLabels(svg: SvgDocument, role: string): string[] {
  return svg.elements
    .filter((node) => attribute(node, 'aria-roledescription') === role)
    .map((node) => attribute(node, 'aria-label') ?? '')
}

/** The tick labels of the axis whose aria-label starts with `axis` ('X-axis' or 'Y-axis'). */
export function axisTickLabels(svg: SvgDocument, axis: 'X-axis' | 'Y-axis'): string[] {
  const group = svg.elements.find(
    (node) =>
      attribute(node, 'aria-roledescription') === 'axis' && attribute(node, 'aria-label')?.startsWith(axis),
  )
  if (!group) return []
  const labels = [...descendants(group)].find((node) => attribute(node, 'class')?.includes('role-axis-label'))
  if (!labels) return []
  return [...descendants(labels)]
    .map((node) => node['#text'])
    .filter((text): text is string => typeof text === 'string')
}
