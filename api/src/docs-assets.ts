// The files /docs loads, served under /docs/assets by the API itself: Swagger UI's bundle, styles and icon
// from the installed swagger-ui-dist package (api/Dockerfile copies exactly these files into the image),
// and the page's own script and styles. A middleware rather than routes: these are files, not API
// operations, and none of them is documented in /openapi.json.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { NextFunction, Request, Response } from 'express'
import { docsCss, docsScript } from './docs-page.ts'

/** The swagger-ui-dist files /docs uses (api/Dockerfile copies these into the image). */
export const swaggerUiFiles = ['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png'] as const

type Asset = { readonly type: string; readonly body: () => Buffer | string }

const typeOf = (name: string) =>
  name.endsWith('.css')
    ? 'text/css; charset=utf-8'
    : name.endsWith('.png')
      ? 'image/png'
      : 'text/javascript; charset=utf-8'

/** Resolved like an import, from this module's place: node_modules in the repository and the image. */
function swaggerUiDir(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
}

export function docsAssets() {
  // Read on first request: building the app (tests do it often) reads nothing.
  let read: Map<string, Buffer | string> | undefined
  const assets = new Map<string, Asset>([
    ...swaggerUiFiles.map((name): [string, Asset] => [
      `/${name}`,
      { type: typeOf(name), body: () => readFileSync(join(swaggerUiDir(), name)) },
    ]),
    ['/docs.js', { type: typeOf('docs.js'), body: () => docsScript }],
    ['/docs.css', { type: typeOf('docs.css'), body: () => docsCss }],
  ])
  return (req: Request, res: Response, next: NextFunction): void => {
    const asset = assets.get(req.path)
    if (asset === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) {
      next()
      return
    }
    read ??= new Map()
    let body = read.get(req.path)
    if (body === undefined) {
      body = asset.body()
      read.set(req.path, body)
    }
    res.setHeader('Content-Type', asset.type)
    res.setHeader('X-Content-Type-Options', 'nosniff')
    res.setHeader('Cache-Control', 'public, max-age=3600')
    res.send(body)
  }
}
