// DynamoDB Local keeps an on-disk table in one SQLite file and never sets its journal mode, so
// SQLite's default applies: a rollback journal, created, synced and deleted on every commit. In
// write-ahead-log mode a commit is one append and one sync of the log: the same durability, and
// on this machine far more writes per second (docs/architecture.md "Local storage"). WAL is the one SQLite
// setting a database file itself remembers (header bytes 18 and 19, the "file format version
// numbers": 1 legacy, 2 WAL), so it is set here, in the file, while no process has it open.
import { closeSync, existsSync, openSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The file DynamoDB Local uses under `-dbPath` with `-sharedDb`. */
export const SHARED_DB_FILE = 'shared-local-instance.db';

const PAGE_SIZE = 4096;
const VERSIONS_AT = 18;
const WAL = 2;
const LEGACY = 1;

/** An empty database in WAL mode: page 1 is the header and an empty schema table. */
function emptyWalDatabase(): Buffer {
  const page = Buffer.alloc(PAGE_SIZE);
  page.write('SQLite format 3\0', 0, 'latin1');
  page.writeUInt16BE(PAGE_SIZE, 16);
  page[VERSIONS_AT] = WAL;
  page[VERSIONS_AT + 1] = WAL;
  page[21] = 64; // payload fractions, fixed by the format
  page[22] = 32;
  page[23] = 32;
  page.writeUInt32BE(1, 24); // change counter
  page.writeUInt32BE(1, 28); // size in pages
  page.writeUInt32BE(4, 44); // schema format
  page.writeUInt32BE(1, 56); // text encoding: UTF-8
  page.writeUInt32BE(1, 92); // version-valid-for, equal to the change counter
  page.writeUInt32BE(3_008_000, 96); // SQLite version that wrote it: any WAL-capable one
  page[100] = 0x0d; // leaf table b-tree with no cells
  page.writeUInt16BE(PAGE_SIZE, 105); // its cell content starts at the page's end
  return page;
}

/**
 * Makes the shared database under `dbPath` use a write-ahead log: creates it that way when it is
 * missing, and switches a rollback-journal one, unless a journal left by a crash is waiting to be
 * rolled back (the next start switches it, after DynamoDB Local has recovered it).
 */
export function useWriteAheadLog(dbPath: string): 'created' | 'switched' | 'unchanged' {
  const file = join(dbPath, SHARED_DB_FILE);
  if (!existsSync(file)) {
    writeFileSync(file, emptyWalDatabase(), { flag: 'wx' });
    return 'created';
  }
  if (existsSync(`${file}-journal`)) return 'unchanged';
  const fd = openSync(file, 'r+');
  try {
    const versions = Buffer.alloc(2);
    if (readSync(fd, versions, 0, 2, VERSIONS_AT) !== 2 || versions[0] !== LEGACY || versions[1] !== LEGACY) return 'unchanged';
    writeSync(fd, Buffer.from([WAL, WAL]), 0, 2, VERSIONS_AT);
    return 'switched';
  } finally {
    closeSync(fd);
  }
}
