import { compileErrors, validate } from '@readme/openapi-parser'
import { describe, expect, it } from 'vitest'
import { openApiDocument } from '../../../api/src/openapi.ts'
import { apiRoutes } from '../../support/api-routes.ts'

// /openapi.json is generated from the operations the route modules document; the app's router is
// walked here against it both ways, so a route cannot be added undocumented, nor an operation
// documented that nothing serves.

type Operation = {
  operationId: string
  security?: unknown[]
  parameters?: { in: string; name: string }[]
  responses: Record<string, { content?: Record<string, unknown> }>
}

const document = openApiDocument({ authMode: 'development' })
const operations = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
  Object.entries(item ?? {}).map(([method, operation]) => ({
    route: `${method.toUpperCase()} ${path}`,
    path,
    operation: operation as Operation,
  })),
)
/** The app's routes as `METHOD /openapi/{template}`. */
const served = apiRoutes().flatMap((route) =>
  route.methods.map((method) => `${method} ${route.path.replace(/:(\w+)/g, '{$1}')}`),
)

describe('the API reference (/openapi.json)', () => {
  it('documents every route the router serves, the forwarded ones included, and nothing else', () => {
    expect(served).toEqual(
      expect.arrayContaining([
        'GET /tasks/{id}/audit',
        'GET /audit',
        'GET /notifications',
        'GET /notifications/stream',
        'GET /notifications/preferences',
        'PUT /notifications/preferences',
        'POST /notifications/{id}/read',
      ]),
    )
    const documented = operations.map((entry) => entry.route)
    expect(
      served.filter((route) => !documented.includes(route)),
      'served, not documented',
    ).toEqual([])
    expect(
      documented.filter((route) => !served.includes(route)),
      'documented, not served',
    ).toEqual([])
  })

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await validate(structuredClone(document) as never)
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true)
    expect(result.specification).toBe('OpenAPI')
    expect(document.openapi).toBe('3.1.0')
  })

  it('names every path parameter, and every error of an operation is problem+json', () => {
    for (const { route, path, operation } of operations) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1])
      const declared = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name)
      expect(declared, route).toEqual(inPath)
      const isProbe = route === 'GET /readyz'
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400 && !isProbe)
          expect(Object.keys(response.content ?? {}), `${route} ${status}`).toEqual([
            'application/problem+json',
          ])
      }
    }
  })

  it('asks a bearer token of every operation but the service ones, and says how to get one', () => {
    for (const { route, operation } of operations) {
      const isPublic = route.startsWith('GET /') && operation.security?.length === 0
      expect(isPublic, route).toBe(
        ['GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /openapi.json', 'GET /docs'].includes(route),
      )
      if (!isPublic) expect(Object.keys(operation.responses), route).toContain('401')
    }
    expect(document.security).toEqual([{ bearer: [] }])
    const scheme = document.components?.securitySchemes?.bearer as { scheme: string; description: string }
    expect(scheme.scheme).toBe('bearer')
    expect(scheme.description).toContain('`Authorization: Bearer dev.alice`')
    const production = openApiDocument({ authMode: 'jwks' }).components?.securitySchemes?.bearer as {
      description: string
    }
    expect(production.description).toMatch(/JWT.*development tokens \(`dev\.<user>`\) are refused/)
  })

  it('describes the notification stream as Server-Sent Events and the forwarded reads by schema', () => {
    const at = (route: string) => operations.find((entry) => entry.route === route)!.operation
    const ok = (route: string) => at(route).responses['200']?.content ?? at(route).responses['204']
    expect(Object.keys(ok('GET /notifications/stream') ?? {})).toEqual(['text/event-stream'])
    expect(at('GET /notifications/stream').parameters).toContainEqual(
      expect.objectContaining({ in: 'header', name: 'Last-Event-ID' }),
    )
    expect(ok('GET /tasks/{id}/audit')).toEqual({
      'application/json': { schema: { $ref: '#/components/schemas/AuditPage' } },
    })
    expect(ok('GET /audit')).toEqual({
      'application/json': { schema: { $ref: '#/components/schemas/AuditPage' } },
    })
    expect(ok('GET /notifications')).toEqual({
      'application/json': { schema: { $ref: '#/components/schemas/NotificationPage' } },
    })
    for (const route of ['GET /notifications/preferences', 'PUT /notifications/preferences'])
      expect(ok(route)).toEqual({
        'application/json': { schema: { $ref: '#/components/schemas/NotificationPreferences' } },
      })
    expect(at('POST /notifications/{id}/read').responses['204']).toBeDefined()
    expect(at('GET /audit').parameters?.map((p) => p.name)).toEqual([
      'actor',
      'type',
      'from',
      'to',
      'cursor',
      'limit',
    ])
  })
})
