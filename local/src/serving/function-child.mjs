// Entry point of one function process: faas-js-runtime's own `start()` serving the function's built
// module, exactly what `faas-js-runtime ./build/index.js` runs in the container, plus two local needs:
// - a free port chosen here and reported to the host over IPC (the runtime maps port 0 to 8080);
// - loopback only: faas-js-runtime 4.0.1 listens on '::' whatever HOST says (index.js __start); on a
//   laptop that would offer the function to the whole network, so its one listen() is moved to 127.0.0.1;
// - a watchdog: when the host goes away (IPC channel closed: exit, crash or SIGKILL) this process exits,
//   so no function process outlives the local system or a failed test.
// Plain JavaScript on purpose: a .ts entry makes Node load its type stripper in every function process
// (measured +16 MiB RSS per process, 98 vs 82 MiB for the fixture).
// Usage (by function-process.ts only): node function-child.mjs <function dir> <entry file>
import { createRequire, enableCompileCache } from 'node:module'
import { createServer, Server } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'

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

// The function's own faas-js-runtime dependency first (what its image would run), else the project's.
function resolveRuntime() {
  try {
    return createRequire(join(functionDir, 'package.json')).resolve('faas-js-runtime')
  } catch {
    return createRequire(import.meta.url).resolve('faas-js-runtime')
  }
}

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

const runtimePath = resolveRuntime()
const require = createRequire(runtimePath)
const runtime = require(runtimePath)
const loader = require(join(dirname(runtimePath), 'lib', 'function-loader.js'))

/** Runs `start` with every listen() on all interfaces moved to the loopback interface. */
async function onLoopback(start) {
  const listen = Server.prototype.listen
  Server.prototype.listen = function listenOnLoopback(options, ...rest) {
    const wildcard = (host) => host === '::' || host === '0.0.0.0' || host === undefined
    if (typeof options === 'object' && options !== null && wildcard(options.host))
      return listen.call(this, { ...options, host: '127.0.0.1' }, ...rest)
    return listen.call(this, options, ...rest)
  }
  try {
    return await start()
  } finally {
    Server.prototype.listen = listen
  }
}

const code = await loader.loadFunction(entry)
const port = await freePort()
await onLoopback(() => runtime.start(code, { port, logLevel: process.env.FUNC_LOG_LEVEL ?? 'warn' }))
process.send({ kind: 'listening', port })
