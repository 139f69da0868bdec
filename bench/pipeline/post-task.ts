// One POST /tasks as alice (development auth), for the phases that create tasks one by one.
import { request } from 'undici'

/** Creates a task and returns its id; anything but 201 fails the benchmark. */
export async function postTask(apiUrl: string, body: Record<string, unknown>): Promise<string> {
  const response = await request(new URL('/tasks', apiUrl), {
    method: 'POST',
    headers: { authorization: 'Bearer dev.alice', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const answer = (await response.body.json()) as { id?: string }
  if (response.statusCode !== 201 || answer.id === undefined)
    throw new Error(`POST /tasks answered ${response.statusCode}: ${JSON.stringify(answer)}`)
  return answer.id
}
