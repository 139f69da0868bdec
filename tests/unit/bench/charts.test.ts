import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { type ChartSpec, legendNames, renderChart } from '../../../bench/src/harness/chart.ts'
import { renderStoredCharts, resultsDir, storedRuns } from '../../../bench/src/render-charts.ts'
import { ariaLabels, attribute, axisTickLabels, parseSvg } from './svg-document.ts'

async function committedCharts(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, encoding: 'utf8' })
  return entries.filter((file) => file.endsWith('.svg')).map((file) => join(dir, file))
}

/** The shape of the simulator's burst charts: 35 x values from 540 s, four series, two pairs equal. */
function simulatorChart(): Extract<ChartSpec, { kind: 'line' }> {
  const xs = Array.from({ length: 35 }, (_, i) => 540 + i * 7)
  const consumers = xs.map((x) => [x, x < 600 ? 1 : 12] as const)
  const pods = xs.map((x) => [x, x > 615 && x < 675 ? 2 : 1] as const)
  return {
    kind: 'line',
    title: 'audit-log burst: consumers & pods <yaml vs proposed>',
    unit: 'replicas',
    xLabel: 'seconds',
    series: [
      { name: 'consumers yaml', points: consumers },
      { name: 'consumers proposed', points: consumers },
      { name: 'pods yaml', points: pods },
      { name: 'pods proposed', points: pods },
    ],
  }
}

describe('committed charts under bench/results', () => {
  it('are well-formed XML with an svg root that has a size', async () => {
    const files = await committedCharts(resultsDir)
    expect(files.length).toBeGreaterThanOrEqual(16)
    for (const file of files) {
      const name = relative(resultsDir, file)
      const text = await readFile(file, 'utf8')
      const svg = (() => {
        try {
          return parseSvg(text)
        } catch (error) {
          throw new Error(`${name}: ${error instanceof Error ? error.message : String(error)}`)
        }
      })()
      expect(svg.rootName, name).toBe('svg')
      const sized =
        (attribute(svg.root, 'width') !== undefined && attribute(svg.root, 'height') !== undefined) ||
        attribute(svg.root, 'viewBox') !== undefined
      expect(sized, `${name} has width/height or a viewBox`).toBe(true)
    }
  })

  describe('are what the chart writer draws from the stored runs', () => {
    let scratch: string | undefined
    afterAll(async () => {
      if (scratch) await rm(scratch, { recursive: true, force: true })
    })

    it('for every benchmark with a latest.json (node bench/src/render-charts.ts redraws them)', async () => {
      scratch = await mkdtemp(join(tmpdir(), 'taskflow-charts-'))
      const names = await storedRuns(resultsDir)
      expect(names.length).toBeGreaterThan(0)
      for (const name of names) {
        await mkdir(join(scratch, name))
        await copyFile(join(resultsDir, name, 'latest.json'), join(scratch, name, 'latest.json'))
        for (const file of await renderStoredCharts(scratch, name)) {
          const drawn = await readFile(join(scratch, file), 'utf8')
          const committed = await readFile(join(resultsDir, file), 'utf8')
          expect(committed === drawn, `${file} is stale: run node bench/src/render-charts.ts`).toBe(true)
        }
      }
    })
  })
})

describe('renderChart', () => {
  it('draws the simulator shape with the x axis over the data, a sane tick count and every series', async () => {
    const svg = parseSvg(await renderChart(simulatorChart()))
    expect(svg.rootName).toBe('svg')
    expect(ariaLabels(svg, 'title')).toEqual([
      "Title text 'audit-log burst: consumers & pods <yaml vs proposed>'",
    ])
    const [xAxis] = ariaLabels(svg, 'axis').filter((label) => label.startsWith('X-axis'))
    expect(xAxis).toContain("titled 'seconds'")
    expect(xAxis).toContain('values from 540 to 778')
    const xTicks = axisTickLabels(svg, 'X-axis')
    expect(xTicks.length).toBeGreaterThanOrEqual(4)
    expect(xTicks.length).toBeLessThanOrEqual(12)
    expect(xTicks).not.toContain('0')
    expect(ariaLabels(svg, 'axis').some((label) => label.startsWith("Y-axis titled 'replicas'"))).toBe(true)
    expect(ariaLabels(svg, 'line mark')).toHaveLength(4)
    const [legend] = ariaLabels(svg, 'legend')
    for (const name of legendNames(simulatorChart().series)) expect(legend).toContain(name)
  })

  it('names a series that lies exactly on an earlier one in the legend', () => {
    expect(legendNames(simulatorChart().series)).toEqual([
      'consumers yaml',
      'consumers proposed (same as consumers yaml)',
      'pods yaml',
      'pods proposed (same as pods yaml)',
    ])
  })

  it('draws a bar per value with its unit on the value axis', async () => {
    const bars = [
      { label: 'produce (acks=-1) 6p', value: 48_189 },
      { label: 'consume -> POST "ordered" 6p', value: 28_934 },
      { label: 'Knative ordered', value: 250 },
    ]
    const svg = parseSvg(
      await renderChart({ kind: 'bar', title: 'Dispatch: events per second', unit: 'events/s', bars }),
    )
    expect(svg.rootName).toBe('svg')
    expect(ariaLabels(svg, 'title')).toEqual(["Title text 'Dispatch: events per second'"])
    expect(ariaLabels(svg, 'axis').some((label) => label.startsWith("X-axis titled 'events/s'"))).toBe(true)
    expect(axisTickLabels(svg, 'Y-axis')).toEqual(bars.map((bar) => bar.label))
    expect(svg.elements.filter((node) => attribute(node, 'aria-roledescription') === 'bar')).toHaveLength(3)
  })

  it('draws a single point and an empty series without failing', async () => {
    const svg = parseSvg(
      await renderChart({
        kind: 'line',
        title: 'one point',
        unit: 'ms',
        xLabel: 'x',
        series: [
          { name: 'one', points: [[3, 4]] },
          { name: 'none', points: [] },
        ],
      }),
    )
    expect(svg.rootName).toBe('svg')
  })
})
