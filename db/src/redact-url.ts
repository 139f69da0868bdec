// Connection strings end up in logs and error messages; the password never may.
export function redactUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    // Not a URL we can parse: show only the scheme-ish prefix rather than risk echoing a secret.
    return url.includes('@') ? `<unparseable url>@${url.slice(url.lastIndexOf('@') + 1)}` : url
  }
  if (parsed.password !== '') parsed.password = '***'
  for (const key of [...parsed.searchParams.keys()]) {
    if (/pass|secret|token|sslkey/i.test(key)) parsed.searchParams.set(key, '***')
  }
  return parsed.toString()
}
