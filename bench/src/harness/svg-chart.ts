// Bar and line charts as plain SVG strings: axes, labels and one colour per series. Hand-written on
// purpose: the charting libraries that render SVG in Node pull in a DOM emulation for two chart kinds.

export type ChartSpec =
  | {
      readonly kind: 'bar'
      readonly title: string
      readonly unit: string
      readonly bars: readonly { readonly label: string; readonly value: number }[]
    }
  | {
      readonly kind: 'line'
      readonly title: string
      readonly unit: string
      readonly xLabel: string
      readonly series: readonly {
        readonly name: string
        readonly points: readonly (readonly [number, number])[]
      }[]
    }

const palette = ['#2f6fb0', '#d9822b', '#3a9a5b', '#b03a3a', '#7b5ea7', '#5f6b73']
const font = 'font-family="sans-serif" font-size="12"'

const escapeXml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')

/** A round axis maximum (1, 2 or 5 times a power of ten) at or above `max`. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1
  const power = 10 ** Math.floor(Math.log10(max))
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power
  return 10 * power
}

const compact = (value: number) =>
  value >= 1000 ? `${Number((value / 1000).toFixed(1))}k` : String(Number(value.toFixed(2)))

export function renderChart(spec: ChartSpec): string {
  return spec.kind === 'bar' ? barChart(spec) : lineChart(spec)
}

function frame(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" ${font} font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n')
}

function yAxis(left: number, top: number, plotHeight: number, plotWidth: number, max: number, unit: string) {
  const lines: string[] = []
  for (let i = 0; i <= 4; i++) {
    const value = (max * i) / 4
    const y = top + plotHeight - (plotHeight * i) / 4
    lines.push(`<line x1="${left}" y1="${y}" x2="${left + plotWidth}" y2="${y}" stroke="#e3e3e3"/>`)
    lines.push(`<text x="${left - 6}" y="${y + 4}" text-anchor="end" ${font}>${compact(value)}</text>`)
  }
  lines.push(
    `<text x="14" y="${top + plotHeight / 2}" text-anchor="middle" ${font} transform="rotate(-90 14 ${top + plotHeight / 2})">${escapeXml(unit)}</text>`,
  )
  return lines
}

function barChart(spec: Extract<ChartSpec, { kind: 'bar' }>): string {
  const left = 70
  const top = 36
  const barSlot = 64
  const plotWidth = Math.max(240, spec.bars.length * barSlot)
  const plotHeight = 240
  const labelSpace = 110
  const width = left + plotWidth + 20
  const height = top + plotHeight + labelSpace
  const max = niceMax(Math.max(...spec.bars.map((bar) => bar.value), 0))
  const body = yAxis(left, top, plotHeight, plotWidth, max, spec.unit)
  const slot = plotWidth / Math.max(1, spec.bars.length)
  spec.bars.forEach((bar, index) => {
    const value = Number.isFinite(bar.value) ? Math.max(0, bar.value) : 0
    const barHeight = (plotHeight * value) / max
    const x = left + index * slot + slot * 0.15
    const y = top + plotHeight - barHeight
    const centre = x + slot * 0.35
    body.push(
      `<rect x="${x}" y="${y}" width="${slot * 0.7}" height="${barHeight}" fill="${palette[index % palette.length]}"/>`,
      `<text x="${centre}" y="${y - 4}" text-anchor="middle" ${font}>${compact(value)}</text>`,
      `<text x="${centre}" y="${top + plotHeight + 14}" text-anchor="end" ${font} transform="rotate(-35 ${centre} ${top + plotHeight + 14})">${escapeXml(bar.label)}</text>`,
    )
  })
  return frame(width, height, spec.title, body)
}

function lineChart(spec: Extract<ChartSpec, { kind: 'line' }>): string {
  const left = 70
  const top = 36
  const plotWidth = 420
  const plotHeight = 240
  const width = left + plotWidth + 170
  const height = top + plotHeight + 50
  const xs = spec.series.flatMap((series) => series.points.map(([x]) => x))
  const ys = spec.series.flatMap((series) => series.points.map(([, y]) => y))
  const xMin = Math.min(...xs, 0)
  const xMax = Math.max(...xs, xMin + 1)
  const max = niceMax(Math.max(...ys, 0))
  const body = yAxis(left, top, plotHeight, plotWidth, max, spec.unit)
  const px = (x: number) => left + ((x - xMin) / (xMax - xMin)) * plotWidth
  const py = (y: number) => top + plotHeight - (plotHeight * Math.max(0, y)) / max
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    body.push(
      `<text x="${px(x)}" y="${top + plotHeight + 16}" text-anchor="middle" ${font}>${compact(x)}</text>`,
    )
  }
  body.push(
    `<text x="${left + plotWidth / 2}" y="${top + plotHeight + 36}" text-anchor="middle" ${font}>${escapeXml(spec.xLabel)}</text>`,
  )
  spec.series.forEach((series, index) => {
    const colour = palette[index % palette.length]
    const points = series.points.map(([x, y]) => `${px(x)},${py(y)}`).join(' ')
    body.push(`<polyline points="${points}" fill="none" stroke="${colour}" stroke-width="2"/>`)
    for (const [x, y] of series.points)
      body.push(`<circle cx="${px(x)}" cy="${py(y)}" r="3" fill="${colour}"/>`)
    const legendY = top + 10 + index * 18
    body.push(
      `<rect x="${left + plotWidth + 14}" y="${legendY - 9}" width="12" height="12" fill="${colour}"/>`,
      `<text x="${left + plotWidth + 32}" y="${legendY + 1}" ${font}>${escapeXml(series.name)}</text>`,
    )
  })
  return frame(width, height, spec.title, body)
}
