// Entry point of one function process: the function's own launcher (vendor/serve.js, faas-js-runtime's
// `start()` without CORS grants: function-kit/src/serve.ts) serving its built module, exactly what
// `npm start` runs in the container, plus local needs:
// - a free port chosen here and reported to the host over IPC (the runtime maps port 0 to 8080);
// - loopback only: faas-js-runtime 4.0.1 listens on '::' whatever HOST says; on a laptop that would
//   offer the function to the whole network, so the launcher moves it to 127.0.0.1;
// - a watchdog: when the host goes away (IPC channel closed: exit, crash or SIGKILL) this process exits,
//   so no function process outlives the local system or a failed test.
// Plain JavaScript on purpose: a .ts entry makes Node load its type stripper in every function process
// (measured +16 MiB RSS per process, 98 vs 82 MiB for the fixture).
// Usage (by function-process.ts only): node function-child.mjs <function dir> <entry file>
import { existsSync } from 'node:fs'
import { enableCompileCache } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

// V8's code cache on disk for the runtime and the function's modules: a process after the first
// compiles nothing it compiled before (Node checks each entry against the source).
enableCompileCache(join(tmpdir(), 'taskflow-node-compile-cache'))

if (!process.send) {
  console.error('function-child.mjs must be started by the local function host (it needs an IPC channel)')
  process.exit(2)
}
process.on('disconnect', () => process.exit(0))

const [dirArg, entryArg] = process.argv.slice(2)
if (!dirArg || !entryArg) {
  console.error('usage: function-child.mjs <function dir> <entry file>')
  process.exit(2)
}
const functionDir = resolve(dirArg)
const entry = resolve(functionDir, entryArg)

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => resolvePort(port))
    })
  })
}

// The folder's own launcher (what its image runs), else the local runtime's copy of the same file.
const ownLauncher = join(functionDir, 'vendor', 'serve.js')
const launcher = existsSync(ownLauncher)
  ? ownLauncher
  : fileURLToPath(new URL('./function-serve.js', import.meta.url))
const { serveFunction } = await import(pathToFileURL(launcher).href)
const port = await freePort()
await serveFunction({
  entry,
  port,
  host: '127.0.0.1',
  logLevel: process.env.FUNC_LOG_LEVEL ?? 'warn',
  resolveFrom: join(functionDir, 'package.json'),
})
process.send({ kind: 'listening', port })
