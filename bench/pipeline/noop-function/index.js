// Accepts every CloudEvent and does nothing with it: faas-js-runtime still parses and validates it.
export async function handle(_context, _cloudevent) {
  return { statusCode: 202 }
}
