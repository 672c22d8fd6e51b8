import { z } from 'zod';

// A hook is one short process that parses each schema about once. zod's default "JIT" compiles a
// fast path per object schema with new Function on first parse, which costs more than it saves
// here and is never in the V8 code cache. Schemas read this flag when they are built, so this
// module is imported first by the entry point.
z.config({ jitless: true });
