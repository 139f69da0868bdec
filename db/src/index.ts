export {
  type EmbeddedPostgres,
  type EmbeddedPostgresOptions,
  serveEmbeddedPostgres,
} from './embedded-server.ts'
export {
  DatabaseUnreachableError,
  EmbeddedDatabaseUnavailableError,
  InvalidDatabaseOptionsError,
  MigrationFailedError,
  MigrationFileError,
} from './errors.ts'
export { createGroupCommit, type GroupCommitOptions } from './group-commit.ts'
export { type MigrateOptions, migrate } from './migrate.ts'
export { type MigrationFile, orderMigrationFileNames, readMigrationFiles } from './migration-files.ts'
export {
  type ListenOptions,
  listenForNotifications,
  type NotificationListener,
} from './notifications.ts'
export {
  type DatabaseHandle,
  defaultPgliteDataDir,
  type OpenDatabaseOptions,
  openDatabase,
  type PreparedStatement,
  type PrepareStatement,
} from './open-database.ts'
export { redactUrl } from './redact-url.ts'
export { isTransientDatabaseError } from './transient-errors.ts'
export { isUnstorableDataError } from './unstorable-data.ts'
