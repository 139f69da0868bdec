// /docs: a self-contained page (no CDN: the API must be browsable offline and under a strict CSP) that
// reads /openapi.json and lists operations with their parameters, bodies and responses.
export const docsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>taskflow Task API</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222 }
h2 { border-bottom: 1px solid #ddd; margin-top: 2rem }
.op { border: 1px solid #ddd; border-radius: 6px; margin: 1rem 0; padding: .5rem 1rem }
.method { font-weight: 700; text-transform: uppercase; margin-right: .5rem }
pre { background: #f6f8fa; padding: .5rem; overflow: auto; font-size: 13px }
summary { cursor: pointer }
</style>
</head>
<body>
<h1 id="title">Task API</h1>
<p id="description"></p>
<p><a href="/openapi.json">openapi.json</a></p>
<div id="ops"></div>
<script>
const show = (value) => JSON.stringify(value, null, 2)
fetch('/openapi.json').then((r) => r.json()).then((doc) => {
  document.getElementById('title').textContent = doc.info.title + ' ' + doc.info.version
  document.getElementById('description').textContent = doc.info.description || ''
  const ops = document.getElementById('ops')
  for (const [path, item] of Object.entries(doc.paths)) {
    const h = document.createElement('h2'); h.textContent = path; ops.append(h)
    for (const [method, op] of Object.entries(item)) {
      const div = document.createElement('div'); div.className = 'op'
      const head = document.createElement('div')
      const m = document.createElement('span'); m.className = 'method'; m.textContent = method
      head.append(m, document.createTextNode(op.summary || '')); div.append(head)
      const add = (label, value) => {
        if (value === undefined) return
        const d = document.createElement('details'); const s = document.createElement('summary')
        s.textContent = label; const pre = document.createElement('pre'); pre.textContent = show(value)
        d.append(s, pre); div.append(d)
      }
      add('Parameters', op.parameters); add('Request body', op.requestBody); add('Responses', op.responses)
      ops.append(div)
    }
  }
  const h = document.createElement('h2'); h.textContent = 'Schemas'; ops.append(h)
  const pre = document.createElement('pre'); pre.textContent = show(doc.components && doc.components.schemas); ops.append(pre)
})
</script>
</body>
</html>
`
