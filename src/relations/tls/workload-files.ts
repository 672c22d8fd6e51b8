/**
 * The TLS files in the workload container (the reference's `push_tls_files_to_workload` and
 * `push_ca_file_into_workload` in src/charm.py): key, CA file (the chain when there is one) and
 * certificate in the storage directory, 0400 postgres; the CA file also in the system trust
 * store followed by `update-ca-certificates`; CAs received over `receive-ca-cert` as
 * `ca-<app>.crt` there. Each file is pushed only when it differs.
 */
import { caFileContent, certificateMatchesKey, isTlsComplete, tlsFiles } from '../../../lib/postgresql_tls/index.ts';
import type { WorkloadPebble } from '../../clients/workload-pebble.ts';
import type { Logger } from '../../logging.ts';
import { DEFAULT_WORKLOAD_PATHS, systemCaPath, TLS_FILE_MODE, WORKLOAD_OS_GROUP, WORKLOAD_OS_USER } from '../../workload/index.ts';
import type { StoredTls } from './certificates.ts';

type Pebble = Pick<WorkloadPebble, 'stat' | 'pullText' | 'push' | 'exec' | 'listFiles'>;

/** Push `text` unless the file already has exactly that content, mode and owner. */
async function pushIfDifferent(pebble: Pebble, path: string, text: string, mode: number): Promise<boolean> {
  const info = await pebble.stat(path);
  const same = info !== undefined && info.permissions === mode && info.user === WORKLOAD_OS_USER && info.group === WORKLOAD_OS_GROUP;
  if (same && (await pebble.pullText(path)) === text) return false;
  await pebble.push(path, text, { permissions: mode, user: WORKLOAD_OS_USER, group: WORKLOAD_OS_GROUP, makeDirs: true });
  return true;
}

/** Rebuild the system CA bundle; a container without the tool only loses the system-store copy. */
export async function updateCaCertificates(pebble: Pick<WorkloadPebble, 'exec'>, logger: Pick<Logger, 'warn'>): Promise<void> {
  try {
    await (await pebble.exec(['update-ca-certificates'])).waitOutput();
  } catch (error) {
    logger.warn({ err: error }, 'update-ca-certificates failed; the system trust store may be stale');
  }
}

async function removeFile(pebble: Pick<WorkloadPebble, 'exec'>, path: string): Promise<void> {
  await (await pebble.exec(['rm', '-f', path])).waitOutput();
}

async function fileExists(pebble: Pick<WorkloadPebble, 'stat'>, path: string): Promise<boolean> {
  return (await pebble.stat(path)) !== undefined;
}

/**
 * Bring the workload's TLS files to the stored material. Returns whether a file PostgreSQL or
 * Patroni reads changed (they re-read them on SIGHUP). A certificate that is not for the stored
 * key (a new key was set, its certificate not issued yet) is not pushed: the files in place stay
 * a working pair until the new certificate arrives.
 */
export async function pushTlsFiles(pebble: Pebble, material: StoredTls, logger: Pick<Logger, 'info' | 'warn'>): Promise<boolean> {
  const trustPath = systemCaPath();
  if (!isTlsComplete(material)) {
    if (await fileExists(pebble, trustPath)) {
      await removeFile(pebble, trustPath);
      await updateCaCertificates(pebble, logger);
      logger.info('removed our CA from the system trust store: TLS is off');
    }
    return false;
  }
  if (!certificateMatchesKey(material.cert!, material.key!)) {
    logger.info('the stored certificate is for the previous key: keeping the files in place until the new one is issued');
    return false;
  }
  let changed = false;
  for (const file of tlsFiles(material, DEFAULT_WORKLOAD_PATHS.storage) ?? []) {
    changed = (await pushIfDifferent(pebble, file.path, file.content, file.mode)) || changed;
  }
  if (await pushIfDifferent(pebble, trustPath, caFileContent(material)!, TLS_FILE_MODE)) await updateCaCertificates(pebble, logger);
  if (changed) logger.info('pushed the TLS key, CA and certificate into the workload');
  return changed;
}

/** `ca-<app>.crt` in the system trust store for each CA received; others removed. Returns whether any changed. */
export async function pushTransferredCas(pebble: Pebble, cas: ReadonlyMap<string, string>, logger: Pick<Logger, 'info' | 'warn'>): Promise<{ changed: boolean; removedApps: string[] }> {
  const dir = DEFAULT_WORKLOAD_PATHS.caCertificates;
  let changed = false;
  for (const [app, ca] of cas) changed = (await pushIfDifferent(pebble, `${dir}/ca-${app}.crt`, ca, TLS_FILE_MODE)) || changed;
  const present = await pebble.listFiles(dir, { pattern: 'ca-*.crt' }).catch(() => []);
  const removedApps: string[] = [];
  for (const file of present) {
    const app = /^ca-(.+)\.crt$/.exec(file.name)?.[1];
    if (app === undefined || cas.has(app)) continue;
    await removeFile(pebble, `${dir}/${file.name}`);
    removedApps.push(app);
    changed = true;
  }
  if (changed) {
    await updateCaCertificates(pebble, logger);
    logger.info({ received: [...cas.keys()], removed: removedApps }, 'updated the received CAs in the system trust store');
  }
  return { changed, removedApps };
}
