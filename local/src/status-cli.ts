// `npm run status`: the live status of the running local system (`npm start`), as a table.
import { request } from 'undici'
import { renderStatus, type SystemStatus } from './status.ts'
import { readSystemState } from './system-state.ts'

const state = await readSystemState()
if (!state) {
  console.error('no running local system found: start it with `npm start`')
  process.exit(2)
}
const response = await request(state.status)
console.info(renderStatus((await response.body.json()) as SystemStatus))
