import type { Kysely } from 'kysely'
import type { NotificationTables } from './notification-tables.ts'
import { defaultPreferences, type Preferences, preferencesSchema } from './preferences.ts'

// Stored preferences are what the user last wrote, validated on the way in and parsed again on the
// way out (a row written by an older version gains the defaults of fields added since).

export async function readPreferences(
  db: Kysely<NotificationTables>,
  userIds: readonly string[],
): Promise<Map<string, Preferences>> {
  const stored = new Map<string, unknown>()
  if (userIds.length > 0) {
    const rows = await db
      .selectFrom('preferences')
      .select(['user_id', 'settings'])
      .where('user_id', 'in', [...userIds])
      .execute()
    for (const row of rows) stored.set(row.user_id, row.settings)
  }
  return preferencesOf(userIds, stored)
}

/** Each user's preferences from the stored settings (defaults for a user without a row or an unreadable one). */
export function preferencesOf(
  userIds: readonly string[],
  stored: ReadonlyMap<string, unknown>,
): Map<string, Preferences> {
  return new Map(
    userIds.map((userId) => {
      if (!stored.has(userId)) return [userId, defaultPreferences]
      const parsed = preferencesSchema.safeParse(stored.get(userId))
      return [userId, parsed.success ? parsed.data : defaultPreferences]
    }),
  )
}

export async function writePreferences(
  db: Kysely<NotificationTables>,
  userId: string,
  preferences: Preferences,
): Promise<void> {
  const settings = JSON.stringify(preferences)
  await db
    .insertInto('preferences')
    .values({ user_id: userId, settings })
    .onConflict((conflict) => conflict.column('user_id').doUpdateSet({ settings, updated_at: new Date() }))
    .execute()
}
