import type { Kysely } from 'kysely'
import type { NotificationTables } from './notification-tables.ts'
import { defaultPreferences, type Preferences, preferencesSchema } from './preferences.ts'

// Stored preferences are what the user last wrote, validated on the way in and parsed again on the
// way out (a row written by an older version gains the defaults of fields added since).

export async function readPreferences(
  db: Kysely<NotificationTables>,
  userIds: readonly string[],
): Promise<Map<string, Preferences>> {
  const found = new Map<string, Preferences>()
  if (userIds.length > 0) {
    const rows = await db
      .selectFrom('preferences')
      .select(['user_id', 'settings'])
      .where('user_id', 'in', [...userIds])
      .execute()
    for (const row of rows) {
      const parsed = preferencesSchema.safeParse(row.settings)
      found.set(row.user_id, parsed.success ? parsed.data : defaultPreferences)
    }
  }
  return new Map(userIds.map((userId) => [userId, found.get(userId) ?? defaultPreferences]))
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
