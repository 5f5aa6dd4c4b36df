// scripts/sqlite-wal.ts on files alone; tests/durability.test.ts runs DynamoDB Local on what it
// creates, through restarts and kills.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SHARED_DB_FILE, useWriteAheadLog } from '../scripts/sqlite-wal.js';

let dir = '';
const file = () => join(dir, SHARED_DB_FILE);
/** The file format version numbers: [1, 1] rollback journal, [2, 2] write-ahead log. */
const versions = () => [...readFileSync(file()).subarray(18, 20)];

/** A database as a rollback-journal SQLite leaves it: the created one, with legacy versions. */
function legacyDatabase(): Buffer {
  useWriteAheadLog(dir);
  const bytes = readFileSync(file());
  bytes[18] = 1;
  bytes[19] = 1;
  writeFileSync(file(), bytes);
  return bytes;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'points-wal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('useWriteAheadLog', () => {
  it('creates a missing database as one empty page in WAL mode', () => {
    expect(useWriteAheadLog(dir)).toBe('created');
    const bytes = readFileSync(file());
    expect(bytes.subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');
    expect(bytes.length).toBe(bytes.readUInt16BE(16)); // one page of the declared size
    expect(bytes.readUInt32BE(28)).toBe(1);
    expect(versions()).toEqual([2, 2]);
    expect(bytes[100]).toBe(0x0d); // an empty schema table
  });

  it('leaves a database already in WAL mode as it is', () => {
    useWriteAheadLog(dir);
    const before = readFileSync(file());
    expect(useWriteAheadLog(dir)).toBe('unchanged');
    expect(readFileSync(file())).toEqual(before);
  });

  it('switches a rollback-journal database to WAL, touching nothing else', () => {
    const before = legacyDatabase();
    expect(useWriteAheadLog(dir)).toBe('switched');
    const after = readFileSync(file());
    expect(versions()).toEqual([2, 2]);
    expect(Buffer.concat([after.subarray(0, 18), after.subarray(20)])).toEqual(Buffer.concat([before.subarray(0, 18), before.subarray(20)]));
  });

  it('leaves a database alone while a journal from a crash waits to be rolled back', () => {
    legacyDatabase();
    writeFileSync(`${file()}-journal`, 'hot journal');
    expect(useWriteAheadLog(dir)).toBe('unchanged');
    expect(versions()).toEqual([1, 1]);
    expect(existsSync(`${file()}-journal`)).toBe(true);
  });
});
