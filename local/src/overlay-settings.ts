// `npm start -- --overlay dev`: the settings a cluster gives the Task API and the functions under that
// overlay (its rendered taskflow-shared-config, through the Task API's envFrom), for the local run. The
// manifests themselves are read from the same rendering by sources/src/manifests.ts.
import { loadSystemManifests, type SystemManifests } from '../../sources/src/manifests.ts'

/** Settings of the overlay that mean the same on this machine as on a cluster. */
const overlaySettingNames = [
  'NODE_ENV',
  'LOG_LEVEL',
  'AUTH_JWT_SECRET',
  'AUTH_JWKS_URL',
  'AUTH_ISSUER',
  'AUTH_AUDIENCE',
] as const
/** Settings that name a collector of the cluster's: the local run exports traces only when the environment says so. */
const telemetrySettingNames = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] as const

export type OverlaySettingName = (typeof overlaySettingNames)[number]

const hostnameOf = (value: string): string | undefined => {
  try {
    return new URL(value).hostname
  } catch {
    return undefined
  }
}

/** A URL whose host is a documentation placeholder (example.com/.org/.net, RFC 2606): not set for real. */
export function placeholderUrl(value: string): boolean {
  return /(^|\.)example\.(com|org|net)$/.test(hostnameOf(value) ?? '')
}

/** A URL this machine cannot reach: a cluster Service name, or a placeholder. */
export function unreachableHost(url: string): boolean {
  return /\.svc(\.cluster\.local)?$/.test(hostnameOf(url) ?? '') || placeholderUrl(url)
}

export type OverlaySettings = {
  /** Non-empty values (an empty value unsets, as the Task API and the functions read it). */
  readonly env: Partial<Record<OverlaySettingName, string>>
  /** The overlay's telemetry endpoints, left out locally. */
  readonly skippedTelemetry: readonly string[]
  /** The overlay's manifests, rendered once for the settings and the system alike. */
  readonly manifests: SystemManifests
}

export class OverlaySettingsError extends Error {
  override readonly name = 'OverlaySettingsError'
}

/** Reads the overlay's settings for the Task API; throws OverlaySettingsError when the overlay cannot run here. */
export function readOverlaySettings(rootDir: string, overlay: string): OverlaySettings {
  const manifests = loadSystemManifests(rootDir, overlay)
  const api = manifests.services.find((service) => service.name === 'task-api')
  if (api === undefined) throw new OverlaySettingsError(`overlay ${overlay} has no Knative Service task-api`)
  const env: Partial<Record<OverlaySettingName, string>> = {}
  for (const name of overlaySettingNames) {
    const value = api.env[name]?.trim()
    if (value !== undefined && value !== '') env[name] = value
  }
  const skippedTelemetry = telemetrySettingNames.flatMap((name) => {
    const value = api.env[name]?.trim()
    return value === undefined || value === '' ? [] : [`${name}=${value}`]
  })
  return { env, skippedTelemetry, manifests }
}
