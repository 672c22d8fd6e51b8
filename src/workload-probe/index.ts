/** Facts read from the workload container through Pebble (versions, flavour, resources, space). */
export * from './flavour.ts';
export * from './parsers.ts';
export * from './probe.ts';
