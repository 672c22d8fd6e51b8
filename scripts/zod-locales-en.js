// Stands in for zod's locales index in the charm bundle: English only (see build.mjs).
export { default as en } from 'zod/v4/locales/en.js';
