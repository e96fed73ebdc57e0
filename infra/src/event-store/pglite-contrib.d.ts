// PGlite's extensions are exported as `@electric-sql/pglite/contrib/<name>` (package exports),
// which this project's `node10` module resolution does not read: their types, by file.
declare module '@electric-sql/pglite/contrib/pg_trgm' {
  export { pg_trgm } from '@electric-sql/pglite/dist/contrib/pg_trgm';
}
