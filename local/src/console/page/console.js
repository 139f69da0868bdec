// The local console: polls the gateway's /_local/status (every second) and /_local/dead-letters, draws
// the pipeline of /_local/pipeline once, keeps a short history of each function's processes. Plain DOM,
// text only (textContent): nothing the status carries is ever parsed as HTML.

const statusIntervalMs = 1_000
const deadLetterIntervalMs = 10_000
/** Samples of process counts kept per function (two minutes at one a second). */
const historyLength = 120
const svgNs = 'http://www.w3.org/2000/svg'
/** Rows of the recent deliveries shown (the status keeps a few more). */
const recentShown = 20

const history = new Map()
const figures = new Map()

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value))
  for (const child of children) node.append(child instanceof Node ? child : String(child))
  return node
}

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(svgNs, tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value))
  if (text !== undefined) node.textContent = text
  return node
}

function cell(value, className) {
  const td = element('td', className === undefined ? {} : { class: className })
  td.append(value instanceof Node ? value : String(value ?? '-'))
  return td
}

const number = (value) => cell(value === null || value === undefined ? '-' : value, 'number')

/** Replaces a table's rows; `key` names each row (data-name) so a test or a person can find it. */
function fillTable(id, rows) {
  const body = document.querySelector(`#${id} tbody`)
  body.replaceChildren(
    ...rows.map(({ key, cells }) => {
      const tr = element('tr', key === undefined ? {} : { 'data-name': key })
      tr.append(...cells)
      return tr
    }),
  )
}

function relative(iso) {
  if (!iso) return '-'
  const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000)
  if (seconds === 0) return 'now'
  return seconds > 0 ? `in ${seconds} s` : `${-seconds} s ago`
}

const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '-')

// ---- pipeline ----

function drawPipeline(pipeline) {
  const columns = [
    pipeline.sources.map((source) => ({
      key: `${source.kind}/${source.name}`,
      kind: source.kind,
      title: `${source.kind} ${source.name}`,
      detail:
        source.kind === 'KafkaSource' ? `topics: ${source.topics.join(', ')}` : `cron ${source.schedule}`,
    })),
    pipeline.functions.map((fn) => ({
      key: `Service/${fn.name}`,
      kind: 'Service',
      title: `function ${fn.name}`,
      detail: 'Knative Service',
    })),
    pipeline.sinks.map((sink) => ({
      key: `KafkaSink/${sink.name}`,
      kind: 'KafkaSink',
      title: `KafkaSink ${sink.name}`,
      detail: `topic: ${sink.topic}`,
    })),
  ]
  const width = 1000
  const boxWidth = 270
  const boxHeight = 58
  const gap = 16
  const xs = [10, (width - boxWidth) / 2, width - boxWidth - 10]
  const rows = Math.max(...columns.map((column) => column.length), 1)
  const height = rows * (boxHeight + gap) + gap
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'pipeline' })
  const places = new Map()
  columns.forEach((column, c) => {
    const offset = (height - column.length * (boxHeight + gap) + gap) / 2
    column.forEach((node, r) => {
      places.set(node.key, { x: xs[c], y: offset + r * (boxHeight + gap) })
    })
  })
  const edges = svg('g')
  const link = (from, to, className) => {
    const a = places.get(from)
    const b = places.get(to.kind === 'Service' || to.kind === 'KafkaSink' ? `${to.kind}/${to.name}` : '')
    if (!a || !b) return
    const x1 = a.x + boxWidth
    const y1 = a.y + boxHeight / 2
    const x2 = b.x
    const y2 = b.y + boxHeight / 2
    const bend = (x2 - x1) / 2
    edges.append(
      svg('path', {
        d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`,
        class: className,
        'data-from': from,
        'data-to': `${to.kind}/${to.name}`,
      }),
    )
  }
  for (const source of pipeline.sources) {
    link(`${source.kind}/${source.name}`, source.sink, 'sink')
    if (source.deadLetterSink) link(`${source.kind}/${source.name}`, source.deadLetterSink, 'dead-letter')
  }
  for (const fn of pipeline.functions) if (fn.sink) link(`Service/${fn.name}`, fn.sink, 'sink')
  root.append(edges)
  for (const column of columns) {
    for (const node of column) {
      const { x, y } = places.get(node.key)
      const group = svg('g', { class: `node ${node.kind}`, 'data-node': node.key })
      group.append(svg('rect', { x, y, width: boxWidth, height: boxHeight }))
      group.append(svg('text', { x: x + 8, y: y + 17, class: 'title' }, node.title))
      group.append(svg('text', { x: x + 8, y: y + 33 }, node.detail))
      const live = svg('text', { x: x + 8, y: y + 49, class: 'figures' }, '')
      figures.set(node.key, live)
      group.append(live)
      root.append(group)
    }
  }
  document.getElementById('pipeline').replaceChildren(root)
}

function setFigures(key, text) {
  const node = figures.get(key)
  if (node) node.textContent = text
}

// ---- status ----

function sparkline(samples) {
  const width = 120
  const height = 24
  const max = Math.max(1, ...samples)
  const step = width / (historyLength - 1)
  const start = historyLength - samples.length
  const points = samples.map(
    (value, i) =>
      `${((start + i) * step).toFixed(1)},${(height - 2 - (value / max) * (height - 4)).toFixed(1)}`,
  )
  const root = svg('svg', { class: 'spark', width, height, viewBox: `0 0 ${width} ${height}` })
  root.append(svg('rect', { x: 0, y: 0, width, height, class: 'spark-bg' }))
  root.append(svg('polyline', { points: points.join(' ') }))
  root.append(svg('title', {}, `processes, last ${samples.length} s (max ${max})`))
  return root
}

/** Per topic, one small cell a partition holding its lag (highlighted when behind). */
function partitionLag(partitions) {
  if (partitions.length === 0) return '-'
  const topics = new Map()
  for (const p of partitions) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p])
  const box = element('div')
  for (const [topic, list] of topics) {
    const line = element('div', { class: 'topic' }, element('span', { class: 'topic-name' }, topic))
    for (const p of list.sort((a, b) => a.partition - b.partition)) {
      line.append(
        element(
          'span',
          {
            class: p.lag > 0 ? 'partition lagging' : 'partition',
            title: `${topic} partition ${p.partition}: lag ${p.lag}`,
            'data-partition': `${topic}/${p.partition}`,
          },
          p.lag,
        ),
      )
    }
    box.append(line)
  }
  return box
}

function render(status) {
  document.getElementById('summary').textContent = `${status.url} · event log: ${status.eventLog}`
  document.getElementById('updated').textContent = `updated ${new Date().toLocaleTimeString()}`

  const outbox = status.outbox
  document.getElementById('outbox').textContent =
    outbox === undefined
      ? '-'
      : `${outbox.pending ?? '?'} pending` +
        (outbox.pending ? `, oldest ${outbox.oldestPendingSeconds} s` : '') +
        (outbox.relay === null
          ? '; no relay'
          : `; relay ${outbox.relay.running ? 'running' : 'stopped'}, event log ${outbox.relay.log}` +
            (outbox.relay.consecutiveFailures > 0
              ? `, ${outbox.relay.consecutiveFailures} failures: ${outbox.relay.lastError}`
              : ''))

  fillTable(
    'sources',
    status.sources.map((s) => {
      setFigures(
        `KafkaSource/${s.name}`,
        `lag ${s.lag ?? '?'} · in flight ${s.inFlight} · delivered ${s.delivered} · dead ${s.deadLettered}`,
      )
      return {
        key: s.name,
        cells: [
          cell(s.name),
          cell(s.ordering),
          number(s.lag),
          cell(partitionLag(s.partitions ?? []), 'partitions'),
          number(s.inFlight),
          cell(s.delivered, 'number delivered'),
          number(s.retried),
          number(s.deadLettered),
          number(s.dropped),
          number(s.refused),
        ],
      }
    }),
  )

  fillTable(
    'functions',
    status.functions.map((f) => {
      const samples = history.get(f.name) ?? []
      samples.push(f.processes)
      if (samples.length > historyLength) samples.shift()
      history.set(f.name, samples)
      setFigures(
        `Service/${f.name}`,
        `processes ${f.ready}/${f.processes} · in flight ${f.inFlight} · cold starts ${f.coldStarts}`,
      )
      return {
        key: f.name,
        cells: [
          cell(f.name),
          cell(`${f.ready}/${f.processes}`, 'number processes'),
          cell(sparkline(samples)),
          number(f.inFlight),
          number(f.buffered),
          cell(f.coldStarts, 'number cold-starts'),
          number(f.lastColdStartMs === null ? null : `${f.lastColdStartMs} ms`),
          number(`${f.rssMb} MB`),
        ],
      }
    }),
  )

  fillTable(
    'pings',
    status.pings.map((p) => {
      setFigures(
        `PingSource/${p.name}`,
        `ticks ${p.ticks} · last ${relative(p.lastTick)} · next ${relative(p.nextTick)}`,
      )
      return {
        key: p.name,
        cells: [
          cell(p.name),
          number(p.ticks),
          number(p.delivered),
          number(p.failed),
          cell(p.lastTick ? `${time(p.lastTick)} (${relative(p.lastTick)})` : '-'),
          cell(p.nextTick ? `${time(p.nextTick)} (${relative(p.nextTick)})` : '-'),
        ],
      }
    }),
  )

  fillTable(
    'sinks',
    status.sinks.map((k) => {
      setFigures(
        `KafkaSink/${k.name}`,
        `accepted ${k.accepted} · rejected ${k.rejected} · write failures ${k.writeFailures}`,
      )
      return {
        key: k.name,
        cells: [
          cell(k.name),
          number(k.accepted),
          number(k.rejected),
          number(k.writeFailures),
          number(k.refused),
        ],
      }
    }),
  )

  fillTable(
    'recent',
    (status.recentDeliveries ?? []).slice(0, recentShown).map((d) => ({
      key: d.source,
      cells: [
        cell(time(d.time)),
        cell(d.source),
        cell(d.type),
        cell(
          d.status === null ? 'no answer' : d.status,
          d.outcome === 'delivered' ? 'number' : 'number failed',
        ),
        number(`${d.ms} ms`),
      ],
    })),
  )
}

async function pollStatus() {
  try {
    const response = await fetch('/_local/status', { cache: 'no-store' })
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
    render(await response.json())
  } catch (error) {
    document.getElementById('updated').textContent = `status unavailable: ${error.message}`
  } finally {
    setTimeout(pollStatus, statusIntervalMs)
  }
}

// ---- dead letters ----

let deadLetterTimer
/** What each replay answered, by dead-letter id: kept across the table's refreshes. */
const replayResults = new Map()

let deadLettersLoading

/** One read at a time (on Kafka each read is a consumer of its own): a second call joins the running one. */
function loadDeadLetters() {
  deadLettersLoading ??= readDeadLetters().finally(() => {
    deadLettersLoading = undefined
  })
  return deadLettersLoading
}

async function readDeadLetters() {
  clearTimeout(deadLetterTimer)
  const error = document.getElementById('dead-letters-error')
  try {
    const response = await fetch('/_local/dead-letters', { cache: 'no-store' })
    const body = await response.json()
    if (!response.ok) throw new Error(body.detail ?? `HTTP ${response.status}`)
    error.hidden = true
    document.getElementById('dead-letter-total').textContent =
      body.total > body.deadLetters.length
        ? `(${body.deadLetters.length} newest of ${body.total})`
        : `(${body.total})`
    fillTable(
      'dead-letters',
      body.deadLetters.map((letter) => {
        const answered = replayResults.get(letter.id)
        const result = cell(answered?.text ?? '', answered?.className ?? 'result')
        const button = element('button', { type: 'button', class: 'replay' }, 'Replay')
        if (letter.problem) button.disabled = true
        button.addEventListener('click', () => replay(letter.id, button, result))
        return {
          key: letter.id,
          cells: [
            cell(time(letter.time)),
            cell(letter.function ?? letter.destination ?? '-'),
            cell(letter.code ?? '-'),
            cell(letter.type ?? '-'),
            cell(letter.eventId ?? '-'),
            cell(`${letter.topic} ${letter.partition}/${letter.offset}`),
            cell(letter.problem ?? '', 'error'),
            (() => {
              const td = element('td', {}, button, ' ')
              td.append(result)
              return td
            })(),
          ],
        }
      }),
    )
  } catch (failure) {
    error.hidden = false
    error.textContent = `dead letters unavailable: ${failure.message}`
  } finally {
    deadLetterTimer = setTimeout(loadDeadLetters, deadLetterIntervalMs)
  }
}

async function replay(id, button, result) {
  button.disabled = true
  const show = (className, text) => {
    replayResults.set(id, { className, text })
    // The row may have been redrawn meanwhile: write into the one on the page now.
    const current = document.querySelector(`#dead-letters tbody tr[data-name="${CSS.escape(id)}"] td.result`)
    for (const target of new Set([result, current])) {
      if (!target) continue
      target.className = className
      target.textContent = text
    }
  }
  show('result', 'replaying…')
  try {
    const response = await fetch(`/_local/dead-letters/${encodeURIComponent(id)}/replay`, { method: 'POST' })
    const body = await response.json()
    if (!response.ok) throw new Error(body.detail ?? `HTTP ${response.status}`)
    show(`result ${body.result}`, `${body.result}${body.detail ? ` (${body.detail})` : ''}`)
  } catch (failure) {
    show('result failed', `failed: ${failure.message}`)
  } finally {
    button.disabled = false
  }
}

async function start() {
  document.getElementById('dead-letters-refresh').addEventListener('click', () => void loadDeadLetters())
  try {
    const response = await fetch('/_local/pipeline', { cache: 'no-store' })
    drawPipeline(await response.json())
  } catch (error) {
    document.getElementById('pipeline').textContent = `pipeline unavailable: ${error.message}`
  }
  void pollStatus()
  void loadDeadLetters()
}

void start()
