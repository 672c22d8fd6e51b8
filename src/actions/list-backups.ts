/** `list-backups` (reference charm `src/backups.py` `_on_list_backups_action`): the backups and restores as the reference's table. */
import { formatBackupList, listBackups } from '../backups/catalog.ts';
import { repositoryInfo, repositoryTimelines } from '../backups/pgbackrest.ts';
import { errorMessage } from '../errors.ts';
import type { ActionEvent } from '../juju/events.ts';
import { stanzaName } from '../workload/index.ts';
import { requireS3Parameters, type BackupActionDeps } from './backup-common.ts';
import { ActionFailedError, runAction } from './common.ts';

export async function listBackupsAction(_event: ActionEvent, deps: BackupActionDeps): Promise<void> {
  await runAction(deps, async () => {
    const parameters = await requireS3Parameters(deps);
    const pebble = await deps.pebble();
    let table: string;
    try {
      const [stanzas, timelines] = await Promise.all([repositoryInfo(pebble), repositoryTimelines(pebble)]);
      table = formatBackupList({
        bucket: parameters.bucket,
        path: parameters.path,
        stanzaName: stanzaName(deps.modelName, deps.appName),
        backups: listBackups(stanzas, { showFailed: true }),
        timelines,
      });
    } catch (cause) {
      throw new ActionFailedError(`Failed to list PostgreSQL backups with error: ${errorMessage(cause)}`, { cause });
    }
    await deps.tools.actionSet({ backups: table });
  });
}
