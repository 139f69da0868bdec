// Bar and line charts as SVG, drawn by Vega-Lite (compiled to a Vega spec and rendered headlessly by
// Vega's SVG string renderer: no browser, DOM or native canvas). A ChartSpec is what a benchmark reports
// and what results/<name>/latest.json keeps, so charts can be drawn again from stored runs.
import { parse, View } from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'

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

type LineChart = Extract<ChartSpec, { kind: 'line' }>
type BarChart = Extract<ChartSpec, { kind: 'bar' }>

const plotWidth = 480
const plotHeight = 260
/** Tableau 10: distinct hues that stay apart in print and for the common colour-vision deficiencies. */
const palette = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#76b7b2',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
]
/** Solid first, then dashes: a series drawn over an identical one still lets it show through. */
const dashes = [
  [1, 0],
  [8, 4],
  [2, 3],
  [10, 3, 2, 3],
  [4, 4],
  [1, 5],
  [12, 6],
  [6, 2, 2, 2, 2, 2],
]
/** Past this many points a line shows no point marks (they would merge into a smear). */
const maxPointsWithMarks = 16

const config = {
  font: 'sans-serif',
  title: { fontSize: 14, anchor: 'start', offset: 12 },
  axis: { labelFontSize: 11, titleFontSize: 12, labelOverlap: true, grid: true, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, labelLimit: 480, symbolStrokeWidth: 2.5, symbolSize: 160 },
  view: { stroke: '#cccccc' },
} as const

export async function renderChart(spec: ChartSpec): Promise<string> {
  const vegaLite = spec.kind === 'bar' ? barSpec(spec) : lineSpec(spec)
  const view = new View(parse(compile(vegaLite).spec), { renderer: 'none' })
  try {
    return `${await view.toSVG()}\n`
  } finally {
    view.finalize()
  }
}

/** Legend names; a series equal to an earlier one says so, since its line lies exactly on the other's. */
export function legendNames(series: LineChart['series']): string[] {
  const same = (a: LineChart['series'][number], b: LineChart['series'][number]) =>
    a.points.length === b.points.length &&
    a.points.every(([x, y], i) => x === b.points[i]![0] && y === b.points[i]![1])
  return series.map((one, index) => {
    const twin = series.slice(0, index).find((earlier) => same(earlier, one))
    return twin ? `${one.name} (same as ${twin.name})` : one.name
  })
}

function lineSpec(spec: LineChart): TopLevelSpec {
  const names = legendNames(spec.series)
  const values = spec.series.flatMap((series, index) =>
    series.points
      .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
      .map(([x, y]) => ({ series: names[index], x, y })),
  )
  const mostPoints = Math.max(0, ...spec.series.map((series) => series.points.length))
  const xs = values.map((value) => value.x)
  const xDistinct = new Set(xs).size
  const yMax = Math.max(0, ...values.map((value) => value.y))
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: spec.title,
    width: plotWidth,
    height: plotHeight,
    background: 'white',
    padding: 8,
    config,
    data: { values },
    mark: { type: 'line', strokeWidth: 2, point: mostPoints <= maxPointsWithMarks ? { size: 36 } : false },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: spec.xLabel,
        // The data's own range: a window of seconds 540-780 must not be squeezed against a zero.
        scale: {
          zero: false,
          nice: false,
          domain: xs.length > 0 ? [Math.min(...xs), Math.max(...xs)] : [0, 1],
        },
        axis: { tickCount: Math.min(10, Math.max(2, xDistinct)), labelFlush: false },
      },
      y: {
        field: 'y',
        type: 'quantitative',
        title: spec.unit,
        // Headroom above the highest point, so a flat line at the maximum does not lie on the frame.
        scale: { zero: true, nice: true, ...(yMax > 0 ? { domainMax: yMax * 1.08 } : {}) },
        axis: { tickCount: 6 },
      },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { domain: names, range: names.map((_, i) => palette[i % palette.length]!) },
        legend: { orient: 'right', symbolType: 'stroke' },
      },
      strokeDash: {
        field: 'series',
        type: 'nominal',
        scale: { domain: names, range: names.map((_, i) => dashes[i % dashes.length]!) },
      },
    },
  }
}

function barSpec(spec: BarChart): TopLevelSpec {
  const values = spec.bars.map((bar) => ({
    label: bar.label,
    value: Number.isFinite(bar.value) ? Math.max(0, bar.value) : 0,
  }))
  const labels = values.map((value) => value.label)
  const y = { field: 'label', type: 'nominal', title: null, sort: labels, axis: { labelLimit: 260 } } as const
  const x = {
    field: 'value',
    type: 'quantitative',
    title: spec.unit,
    scale: { zero: true, nice: true },
    axis: { tickCount: 6 },
  } as const
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: spec.title,
    width: plotWidth,
    height: { step: 26 },
    background: 'white',
    padding: 8,
    config,
    data: { values },
    encoding: { y, x },
    layer: [
      { mark: { type: 'bar', color: palette[0]! } },
      {
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 11 },
        encoding: { text: { field: 'value', type: 'quantitative', format: ',~r' } },
      },
    ],
  }
}
