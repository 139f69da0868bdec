// Opaque page cursors: base64url of the last id returned. Opaque so the ordering key can change later
// without breaking clients; validated so a forged cursor is a 400, not a query error.
import { z } from 'zod'
import { fail, problems } from '../problem.ts'

const cursorSchema = z.strictObject({ after: z.uuid() })

export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ after: lastId })).toString('base64url')
}

export function decodeCursor(cursor: string): string {
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')))
    if (parsed.success) return parsed.data.after
  } catch {
    // not JSON: reported below like any other invalid cursor
  }
  return fail(problems.validation([{ field: 'query.cursor', reason: 'not a cursor this API returned' }]))
}
