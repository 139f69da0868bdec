// GENERATED FILE: do not edit. Bundled by scripts/vendor-functions.ts from function-kit/src/serve.ts
// (with the project modules it imports); regenerate with `npm run vendor`.


// function-kit/src/serve.ts
import { createRequire } from "node:module";
import { Server as NetServer } from "node:net";
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";

// function-kit/src/metrics-slot.ts
var functionMetricsKey = /* @__PURE__ */ Symbol.for("taskflow.function-kit.metrics");
function registeredFunctionMetrics() {
  return globalThis[functionMetricsKey]?.registry;
}

// function-kit/src/serve.ts
var runtimeMetricsPath = "/metrics/runtime";
async function serveFunction(options) {
  process.env.METRICS_URL ??= runtimeMetricsPath;
  const require2 = createRequire(options.resolveFrom ?? import.meta.url);
  const runtimePath = require2.resolve("faas-js-runtime");
  const runtime = require2(runtimePath);
  const loader = require2(join(runtimePath, "..", "lib", "function-loader.js"));
  const code = await loader.loadFunction(options.entry);
  const start = () => runtime.start(code, { port: options.port, logLevel: options.logLevel ?? "warn" });
  const server = options.host === void 0 ? await start() : await listeningOn(options.host, start);
  withoutCorsGrants(server);
  return server;
}
async function listeningOn(host, start) {
  const listen = NetServer.prototype.listen;
  NetServer.prototype.listen = function listenOnHost(...args) {
    const [first, ...rest] = args;
    if (typeof first === "object" && first !== null && ["::", "0.0.0.0", void 0].includes(first.host))
      return listen.call(this, { ...first, host }, ...rest);
    return listen.call(this, ...args);
  };
  try {
    return await start();
  } finally {
    NetServer.prototype.listen = listen;
  }
}
var corsHeader = /^access-control-/i;
function withoutCorsGrants(server) {
  const handlers = server.listeners("request");
  server.removeAllListeners("request");
  server.on("request", (req, res) => {
    if (req.method === "OPTIONS") {
      res.writeHead(204, { allow: "GET, POST, OPTIONS" }).end();
      return;
    }
    if (req.method === "GET" && (req.url === "/metrics" || req.url?.startsWith("/metrics?"))) {
      const registry = registeredFunctionMetrics();
      if (registry === void 0) req.url = runtimeMetricsPath;
      else {
        void registry.metrics().then(
          (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
          () => res.writeHead(500).end()
        );
        return;
      }
    }
    const writeHead = res.writeHead;
    res.writeHead = function writeHeadWithoutCors(...args) {
      for (const name of this.getHeaderNames()) if (corsHeader.test(name)) this.removeHeader(name);
      const headers = args.find(
        (arg) => typeof arg === "object" && arg !== null
      );
      if (headers && !Array.isArray(headers)) {
        for (const name of Object.keys(headers)) if (corsHeader.test(name)) delete headers[name];
      }
      return writeHead.apply(this, args);
    };
    for (const handler of handlers) handler.call(server, req, res);
  });
}
async function main() {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: node vendor/serve.js <built function module>");
    process.exit(2);
  }
  await serveFunction({
    entry: isAbsolute(file) ? file : join(process.cwd(), file),
    port: Number(process.env.FUNC_PORT ?? process.env.PORT ?? 8080),
    host: process.env.FUNC_HOST || void 0,
    logLevel: process.env.FUNC_LOG_LEVEL,
    resolveFrom: join(process.cwd(), "package.json")
  });
}
if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
export {
  serveFunction,
  withoutCorsGrants
};
