// The live console at `/_local/console`: one page, one script, one stylesheet, served as they are (no
// build step, no CDN), plus `/_local/pipeline`, the pipeline the page draws. The page polls
// `/_local/status` and `/_local/dead-letters`.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { GatewayRoute } from '../gateway.ts'
import type { Pipeline } from './pipeline.ts'

const pageDir = join(import.meta.dirname, 'page')

/** The only files served: a fixed list, so no request path ever reaches the file system. */
const files: Readonly<Record<string, { file: string; type: string }>> = {
  '/_local/console': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/_local/console/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/_local/console/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/_local/console/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
  '/_local/console/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
}

export function consoleRoutes(pipeline: () => Pipeline): GatewayRoute[] {
  return [
    {
      name: 'local-console',
      matches: (path) => path in files,
      respond: async (req, res) => {
        const path = (req.url ?? '').split('?')[0] ?? ''
        const served = files[path]!
        res.writeHead(200, {
          'content-type': served.type,
          'cache-control': 'no-cache',
          'x-content-type-options': 'nosniff',
          // Its own script, style and API only: nothing injected into a table cell can run or call out.
          'content-security-policy':
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'",
        })
        res.end(req.method === 'HEAD' ? undefined : await readFile(join(pageDir, served.file)))
      },
    },
    {
      name: 'local-pipeline',
      matches: (path) => path === '/_local/pipeline',
      respond: async (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(pipeline()))
      },
    },
  ]
}
