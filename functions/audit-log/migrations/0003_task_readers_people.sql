-- Runs with search_path set to the function's schema (AUDIT_SCHEMA, default `audit`).
-- The audit search starts from the tasks a user may read: by creator, assignee or watcher, each an
-- index lookup, so a user who may read nothing costs three index probes instead of a walk through
-- every entry.
create index task_readers_created_by on task_readers (created_by);
create index task_readers_assignee on task_readers (assignee) where assignee is not null;
create index task_readers_watchers on task_readers using gin (watchers);
