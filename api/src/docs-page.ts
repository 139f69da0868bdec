// /docs: Swagger UI (swagger-ui-dist, served by the API itself from node_modules: docs-assets.ts) on
// /openapi.json, with "Try it out" against this same origin and a banner telling how to authorize.
// Nothing is loaded from another origin: the API must be browsable offline and under the strict CSP
// below (no inline script; Swagger UI sets some inline styles).
import type { AuthSettings } from '../../platform/src/auth/index.ts'

export const docsAssetsPath = '/docs/assets'

export const docsContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** How to authorize a request, in Markdown (the OpenAPI descriptions) for this server's auth mode. */
export function authorizationHint(mode: AuthSettings['mode'] | undefined): string {
  switch (mode) {
    case 'development':
      return (
        'this server runs in development mode: a token is `dev.<user>`, e.g. `dev.alice`, sent as ' +
        '`Authorization: Bearer dev.alice`. Click **Authorize** and enter `dev.alice`.'
      )
    case undefined:
      return (
        'send `Authorization: Bearer <token>`: a JWT of the identity provider the server trusts, or ' +
        '`dev.<user>` (e.g. `dev.alice`) on a server in development mode.'
      )
    default:
      return (
        'send `Authorization: Bearer <JWT>` with a JWT of the identity provider this server trusts ' +
        '(click **Authorize** and paste it); development tokens (`dev.<user>`) are refused here.'
      )
  }
}

const escapeHtml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')

/** The hint as HTML: Markdown's `code` and **bold**, nothing else. */
function hintHtml(markdown: string): string {
  return escapeHtml(markdown)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
}

export function docsPage(mode: AuthSettings['mode']): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>taskflow Task API reference</title>
<link rel="icon" type="image/png" href="${docsAssetsPath}/favicon-32x32.png">
<link rel="stylesheet" href="${docsAssetsPath}/swagger-ui.css">
<link rel="stylesheet" href="${docsAssetsPath}/docs.css">
</head>
<body>
<p id="auth-hint" class="auth-hint"><strong>Authorize:</strong> ${hintHtml(authorizationHint(mode))}
The raw document is <a href="/openapi.json">/openapi.json</a>.</p>
<div id="swagger-ui"></div>
<script src="${docsAssetsPath}/swagger-ui-bundle.js"></script>
<script src="${docsAssetsPath}/docs.js"></script>
</body>
</html>
`
}

/** Starts Swagger UI (a file of its own: the CSP allows no inline script). */
export const docsScript = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  tryItOutEnabled: true,
  persistAuthorization: true,
  displayRequestDuration: true,
  filter: true,
  // Swagger UI would send the document to validator.swagger.io and show its badge.
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
})
`

export const docsCss = `body { margin: 0 }
.auth-hint { font: 14px/1.5 system-ui, sans-serif; margin: 0; padding: .75rem 1.25rem;
  background: #fff8e1; border-bottom: 1px solid #f0d98c; color: #3b3b3b }
.auth-hint code { background: #f3ecd2; padding: 0 .25rem; border-radius: 3px }
`
