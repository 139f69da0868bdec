// `npm start` takes its one port before any slow step (PGlite's first init, function builds): a port
// already taken is reported at once, with what holds it when that is known, not after the start-up. The
// port stays held until the gateway serves on it, so no other process can take it in between; requests
// meanwhile get 503 with Retry-After rather than a refused connection.
import { createServer, type Server } from 'node:http'
import { writeProblem } from './serving/activator-http.ts'
import { runningSystems } from './system-state.ts'

/** HOST:PORT held by a server answering 503 until the gateway takes it over, or why it cannot be. */
export async function holdPort(host: string, port: number): Promise<Server | string> {
  const server = createServer((_req, res) =>
    writeProblem(res, 503, 'Service Unavailable', 'taskflow is starting: try again in a moment', {
      'retry-after': '1',
    }),
  )
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host, port, exclusive: true }, () => resolve())
    })
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error)
  }
  return server
}

/** What to tell a user whose port is taken: the taskflow holding it if a state file says so. */
export async function portTakenHint(host: string, port: number, code: string): Promise<string> {
  const address = `${host}:${port}`
  if (code !== 'EADDRINUSE') {
    return `npm start: cannot listen on ${address} (${code}). Set HOST and PORT, e.g. HOST=127.0.0.1 PORT=8081 npm start`
  }
  const systems = await runningSystems().catch(() => [])
  const running = systems
    .map(({ state }) => state)
    .find(({ gateway }) => URL.canParse(gateway) && Number(new URL(gateway).port) === port)
  const holder =
    running !== undefined
      ? `taskflow (pid ${running.pid}, started ${running.startedAt}) already serves ${running.gateway}: ` +
        `stop it with Ctrl-C in its terminal (or kill ${running.pid}), or run this one elsewhere`
      : `another process listens on it (\`ss -ltnp 'sport = :${port}'\` shows which); stop it or run elsewhere`
  return `npm start: port ${address} is already in use: ${holder}, e.g. PORT=${port === 65535 ? 8081 : port + 1} npm start`
}
