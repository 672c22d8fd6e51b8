import * as z from 'zod/mini';
import '../zod-setup.ts';
import type { DispatchContext } from './context.ts';
import type { DispatchTarget } from './dispatch-path.ts';
import { DispatchContextError } from './errors.ts';
import { absolutePath, definedOnly, entityName, positiveInt, relationId, storageId, text, unitName, type EnvReader } from './env-reader.ts';

/**
 * The per-event variables (docs/hook-tools.md#environment), required as ops's strict parser
 * requires them for the event family the dispatch path names, and cross-checked against the path's
 * entity.
 */
export function addEventFields(context: DispatchContext, env: EnvReader, target: DispatchTarget): void {
  switch (target.family) {
    case 'relation':
      context.relation = relationFields(env, target.hook, target.endpoint);
      return;
    case 'action': {
      const name = env.required('JUJU_ACTION_NAME', entityName, `the action name ${JSON.stringify(target.action)} (required for actions)`);
      env.matches('JUJU_ACTION_NAME', name, target.action, 'action');
      const uuid = env.required('JUJU_ACTION_UUID', text, 'the action id (required for actions)');
      context.action = definedOnly({ name, uuid, tag: env.text('JUJU_ACTION_TAG') });
      return;
    }
    case 'workload':
      context.workload = workloadFields(env, target.hook, target.container);
      return;
    case 'secret': {
      const needed = `(required for ${target.hook} hooks)`;
      const withRevision = target.hook === 'secret-remove' || target.hook === 'secret-expired';
      context.secret = definedOnly({
        id: env.required('JUJU_SECRET_ID', z.string().check(z.regex(/^secret:\S+$/)), `a secret URI "secret:<id>" or "secret://<model-uuid>/<id>" ${needed}`),
        label: env.text('JUJU_SECRET_LABEL'),
        revision: env.when(withRevision, 'JUJU_SECRET_REVISION', positiveInt, `a positive integer revision${withRevision ? ` ${needed}` : ''}`),
      });
      return;
    }
    case 'storage': {
      const example = `"${target.storage}/0"`;
      const id = env.required('JUJU_STORAGE_ID', storageId, `"<storage-name>/<index>", e.g. ${example} (required for ${target.hook} hooks)`);
      if (id.name !== target.storage) {
        const expected = `an instance of storage ${JSON.stringify(target.storage)}, the storage in JUJU_DISPATCH_PATH`;
        throw new DispatchContextError('JUJU_STORAGE_ID', env.env['JUJU_STORAGE_ID'], expected);
      }
      context.storage = definedOnly({
        name: id.name,
        index: id.index,
        location: env.optional('JUJU_STORAGE_LOCATION', absolutePath, 'an absolute path'),
        kind: env.optional('JUJU_STORAGE_KIND', z.enum(['filesystem', 'block']), '"filesystem" or "block"'),
      });
      return;
    }
    case 'lifecycle':
      if (target.hook === 'pre-series-upgrade' || target.hook === 'post-series-upgrade') {
        context.seriesUpgrade = definedOnly({ targetBase: env.text('JUJU_TARGET_BASE'), targetSeries: env.text('JUJU_TARGET_SERIES') });
      }
      if (target.hook === 'meter-status-changed' || target.hook === 'collect-metrics') {
        context.meter = definedOnly({ status: env.text('JUJU_METER_STATUS'), info: env.text('JUJU_METER_INFO'), sla: env.text('JUJU_SLA') });
      }
      return;
    case 'unknown':
      return;
  }
}

function relationFields(env: EnvReader, hook: string, endpoint: string): NonNullable<DispatchContext['relation']> {
  const needed = `(required for ${hook} hooks)`;
  const name = env.required('JUJU_RELATION', entityName, `the endpoint name ${JSON.stringify(endpoint)} ${needed}`);
  env.matches('JUJU_RELATION', name, endpoint, 'endpoint');
  const ref = env.required('JUJU_RELATION_ID', relationId, `"<endpoint>:<integer id>", e.g. "${name}:5" ${needed}`);
  if (ref.endpoint !== name) {
    throw new DispatchContextError('JUJU_RELATION_ID', env.env['JUJU_RELATION_ID'], `an id of endpoint ${JSON.stringify(name)}, e.g. "${name}:5"`);
  }
  env.present('JUJU_REMOTE_APP', `the remote application name ${needed}`);
  const remoteApp = env.optional('JUJU_REMOTE_APP', entityName, 'an application name');
  // relation-changed caused by the remote *application* bag comes with JUJU_REMOTE_UNIT empty
  // (ops then gives the event no unit), so only joined and departed require it.
  const withUnit = hook === 'relation-joined' || hook === 'relation-departed';
  const departed = hook === 'relation-departed';
  const unitExpected = (isNeeded: boolean) => `a unit name "<app>/<number>"${isNeeded ? ` ${needed}` : ''}`;
  const remoteUnit = env.when(withUnit, 'JUJU_REMOTE_UNIT', unitName, unitExpected(withUnit));
  const departingUnit = env.when(departed, 'JUJU_DEPARTING_UNIT', unitName, unitExpected(departed));
  return {
    name,
    id: ref.id,
    remoteApp: remoteApp ?? remoteUnit?.app,
    remoteUnit: remoteUnit?.name,
    departingUnit: departingUnit?.name,
  };
}

function workloadFields(env: EnvReader, hook: string, container: string): NonNullable<DispatchContext['workload']> {
  const needed = `(required for ${hook} hooks)`;
  const name = env.required('JUJU_WORKLOAD_NAME', entityName, `the container name ${JSON.stringify(container)} ${needed}`);
  env.matches('JUJU_WORKLOAD_NAME', name, container, 'container');
  if (hook === 'pebble-custom-notice') {
    return {
      name,
      notice: {
        id: env.required('JUJU_NOTICE_ID', text, `the Pebble notice id ${needed}`),
        type: env.required('JUJU_NOTICE_TYPE', text, `the Pebble notice type ${needed}`),
        key: env.required('JUJU_NOTICE_KEY', text, `the Pebble notice key ${needed}`),
      },
    };
  }
  if (hook === 'pebble-check-failed' || hook === 'pebble-check-recovered') {
    return { name, checkName: env.required('JUJU_PEBBLE_CHECK_NAME', text, `the Pebble check name ${needed}`) };
  }
  return { name };
}
