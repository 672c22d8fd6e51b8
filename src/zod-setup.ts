import { config, NEVER, type core } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// The charm's modules build their schemas with zod/mini: classic zod attaches ~50 methods to
// every schema and cannot be tree-shaken, and loading it cost each hook ~17 ms; mini costs ~2.
// Every module that builds a schema imports this one first, so these settings are in place
// before any schema exists, in the charm bundle, under tsx and in tests alike:
// - English messages: mini, unlike classic, installs no locale, so its issues would only say
//   "Invalid input".
// - jitless: a hook is one short process that parses each schema about once; zod's fast path
//   compiles code per object schema on first parse (new Function), which costs more than it
//   saves here and is never in the V8 code cache. Schemas read this flag when they are built.
config({ ...en(), jitless: true });

/**
 * Reports a failed conversion from inside `z.transform`: mini hands the transform its parse
 * payload, which has no `addIssue` (classic adds one), so the issue is pushed as zod's own
 * checks do. Returns `z.NEVER` for the caller to return.
 */
export function transformIssue(payload: core.ParsePayload, message: string): never {
  payload.issues.push({ code: 'custom', message, input: payload.value });
  return NEVER;
}
