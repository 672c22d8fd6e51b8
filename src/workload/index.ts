/** The workload's pure core: paths, names, DCS choice, Pebble layer, patroni.yml, K8s objects. */
export * from './authorisation-rules-observer.ts';
export * from './role-change-notifier.ts';
export * from './bootstrap.ts';
export * from './dcs.ts';
export * from './errors.ts';
export * from './k8s-objects.ts';
export * from './layer.ts';
export * from './names.ts';
export * from './paths.ts';
export * from './patroni-config.ts';
export * from './patroni-dynamic-config.ts';
export * from './pg-hba.ts';
export * from './postgresql-defaults.ts';
export * from './restart-parameters.ts';
export * from './service-environment.ts';
export * from './services.ts';
export * from './users.ts';
