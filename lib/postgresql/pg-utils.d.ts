// Types for the one pg-internal module lib/postgresql/sql.ts imports (pg ships none for it).
declare module 'pg/lib/utils.js' {
  const utils: {
    escapeIdentifier(value: string): string;
    escapeLiteral(value: string): string;
  };
  export default utils;
}
