/**
 * A `pgbackrest info --output=json` answer (pgBackRest 2.45's shape: https://pgbackrest.org/command.html#command-info)
 * for stanza `test.patroni-pg` with a full, a differential, an incremental and a failed full
 * backup, and a `repo-ls archive --recurse --filter '\.history$' --output=json` answer with one
 * restore (timeline 2) and a backup.history file that is not a timeline.
 */
export const INFO_JSON = `[{"archive":[{"database":{"id":1,"repo-key":1},"id":"15-1","max":"000000020000000000000009","min":"000000010000000000000001"}],
"backup":[
{"archive":{"start":"000000010000000000000003","stop":"000000010000000000000003"},"backrest":{"format":5,"version":"2.45"},"database":{"id":1,"repo-key":1},"error":false,"info":{"delta":22750822,"repository":{"delta":2996151,"size":2996151},"size":22750822},"label":"20240102-030405F","lsn":{"start":"0/3000028","stop":"0/3000100"},"prior":null,"reference":null,"timestamp":{"start":1704164645,"stop":1704164650},"type":"full"},
{"archive":{"start":"000000010000000000000005","stop":"000000010000000000000005"},"backrest":{"format":5,"version":"2.45"},"database":{"id":1,"repo-key":1},"error":false,"info":{"delta":8192,"repository":{"delta":1000,"size":2996151},"size":22750822},"label":"20240102-030405F_20240102-040000D","lsn":{"start":"0/5000028","stop":"0/5000138"},"prior":"20240102-030405F","reference":["20240102-030405F"],"timestamp":{"start":1704168000,"stop":1704168003},"type":"diff"},
{"archive":{"start":"000000020000000000000008","stop":"000000020000000000000008"},"backrest":{"format":5,"version":"2.45"},"database":{"id":1,"repo-key":1},"error":false,"info":{"delta":8192,"repository":{"delta":1000,"size":2996151},"size":22750822},"label":"20240102-030405F_20240103-101010I","lsn":{"start":"0/8000028","stop":"0/8000100"},"prior":"20240102-030405F_20240102-040000D","reference":["20240102-030405F","20240102-030405F_20240102-040000D"],"timestamp":{"start":1704276610,"stop":1704276612},"type":"incr"},
{"archive":{"start":"000000020000000000000009","stop":null},"backrest":{"format":5,"version":"2.45"},"database":{"id":1,"repo-key":1},"error":true,"info":{"delta":0,"repository":{"delta":0,"size":0},"size":0},"label":"20240104-000001F","lsn":{"start":"0/9000028","stop":"0/9000100"},"prior":null,"reference":null,"timestamp":{"start":1704326401,"stop":1704326405},"type":"full"}
],
"cipher":"none","db":[{"id":1,"repo-key":1,"system-id":7319483948123456789,"version":"15"}],"name":"test.patroni-pg",
"repo":[{"cipher":"none","key":1,"status":{"code":0,"message":"ok"}}],"status":{"code":0,"lock":{"backup":{"held":false}},"message":"ok"}}]`;

export const TIMELINES_JSON = JSON.stringify({
  'test.patroni-pg/15-1/00000002.history': { type: 'file', size: 42, time: 1704200000 },
  'test.patroni-pg/15-1/000000010000000000000003.00000028.backup.history': { type: 'file', size: 300, time: 1704164651 },
});

/** The reference's table for the answers above (bucket `pg-backups`, path `/cluster-a`), as its Python code prints it. */
export const EXPECTED_TABLE = [
  'Storage bucket name: pg-backups',
  'Backups base path: /cluster-a/backup/',
  '',
  'backup-id            | action              | status   | reference-backup-id  | LSN start/stop          | start-time           | finish-time          | timeline | backup-path',
  '-----------------------------------------------------------------------------------------------------------------------------------------------------------------------------',
  '2024-01-02T03:04:05Z | full backup         | finished | None                 | 0/3000028 / 0/3000100   | 2024-01-02T03:04:05Z | 2024-01-02T03:04:10Z | 1        | /test.patroni-pg/20240102-030405F',
  '2024-01-02T04:00:00Z | differential backup | finished | 2024-01-02T03:04:05Z | 0/5000028 / 0/5000138   | 2024-01-02T04:00:00Z | 2024-01-02T04:00:03Z | 1        | /test.patroni-pg/20240102-030405F_20240102-040000D',
  '2024-01-02T12:53:20Z | restore             | finished | None                 | n/a                     | 2024-01-02T12:53:20Z | n/a                  | 2        | n/a',
  '2024-01-03T10:10:10Z | incremental backup  | finished | 2024-01-02T04:00:00Z | 0/8000028 / 0/8000100   | 2024-01-03T10:10:10Z | 2024-01-03T10:10:12Z | 2        | /test.patroni-pg/20240102-030405F_20240103-101010I',
  '2024-01-04T00:00:01Z | full backup         | failed: True | None                 | 0/9000028 / 0/9000100   | 2024-01-04T00:00:01Z | 2024-01-04T00:00:05Z | 2        | /test.patroni-pg/20240104-000001F',
].join('\n');
