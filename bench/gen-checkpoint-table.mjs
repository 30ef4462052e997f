// bench/gen-checkpoint-table.mjs DIR NFILES [ROW_GROUP_SIZE]
// Writes a Delta table of NFILES live files whose state is in one classic
// checkpoint (version 10, written by DuckDB, snappy), followed by ten JSON
// commits (versions 11..20) that each add 100 files and remove 100 older
// ones, so replay exercises both the checkpoint and the commit tail.
// Versions 0..9 are not present, as after log cleanup.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

// DuckDB comes from the project's pinned npm set in tests/peers.
const require = createRequire(new URL('../tests/peers/package.json', import.meta.url));
const { DuckDBInstance } = require('@duckdb/node-api');

const dir = process.argv[2];
const n = Number(process.argv[3] ?? 1000000);
const rowGroup = Number(process.argv[4] ?? 122880); // tests use small ones: many row groups
if (!dir || !(n > 1000) || !(rowGroup > 0)) {
  console.error('usage: gen-checkpoint-table.mjs DIR NFILES(>1000) [ROW_GROUP_SIZE]');
  process.exit(2);
}
const log = path.join(dir, '_delta_log');
fs.mkdirSync(log, { recursive: true });
const cp = path.join(log, '00000000000000000010.checkpoint.parquet');

const schema = JSON.stringify({ type: 'struct', fields: [
  { name: 'id', type: 'long', nullable: true, metadata: {} },
  { name: 'value', type: 'string', nullable: true, metadata: {} },
  { name: 'day', type: 'string', nullable: true, metadata: {} }] });

const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
// One row per action; exactly one top-level struct is non-null per row.
const addType = `STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT,
  modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags MAP(VARCHAR, VARCHAR))`;
const metaType = `STRUCT(id VARCHAR, name VARCHAR, description VARCHAR,
  format STRUCT(provider VARCHAR, options MAP(VARCHAR, VARCHAR)), schemaString VARCHAR,
  partitionColumns VARCHAR[], configuration MAP(VARCHAR, VARCHAR), createdTime BIGINT)`;
const protoType = `STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER)`;
const sql = `
COPY (
  SELECT NULL::${protoType} AS protocol, NULL::${metaType} AS metaData,
         {'path': printf('day=%s/part-%08d-4f1c7e2a-9b3d-4e5f-8a6b-%012d.c000.snappy.parquet',
                         printf('2026-%02d-%02d', (i // 86400) % 12 + 1, (i // 3600) % 28 + 1), i, i),
          'partitionValues': MAP {'day': printf('2026-%02d-%02d', (i // 86400) % 12 + 1, (i // 3600) % 28 + 1)},
          'size': 1000 + (i % 5000)::BIGINT,
          'modificationTime': 1767225600000 + i,
          'dataChange': true,
          'stats': printf('{"numRecords":%d,"minValues":{"id":%d,"value":"v%d"},"maxValues":{"id":%d,"value":"v%d"},"nullCount":{"id":0,"value":0}}', 100 + i % 900, i * 1000, i, i * 1000 + 999, i),
          'tags': NULL}::${addType} AS add
  FROM range(${n}) t(i)
  UNION ALL
  SELECT {'minReaderVersion': 1, 'minWriterVersion': 2}::${protoType}, NULL, NULL
  UNION ALL
  SELECT NULL, {'id': 'bench-0000-0000-0000-000000000001', 'name': NULL, 'description': NULL,
                'format': {'provider': 'parquet', 'options': MAP {}},
                'schemaString': '${schema.replace(/'/g, "''")}',
                'partitionColumns': ['day'], 'configuration': MAP {}, 'createdTime': 1767225600000},
         NULL
) TO '${cp}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${rowGroup})`;
await c.run(sql);
c.closeSync?.();

fs.writeFileSync(path.join(log, '_last_checkpoint'), JSON.stringify({ version: 10, size: n + 2 }) + '\n');
const pad = (v) => String(v).padStart(20, '0');
for (let v = 11; v <= 20; v++) {
  const lines = [JSON.stringify({ commitInfo: { timestamp: 1767225600000 + v, operation: 'WRITE' } })];
  for (let k = 0; k < 100; k++) {
    const id = n + (v - 11) * 100 + k;
    lines.push(JSON.stringify({ add: { path: `day=2026-12-31/part-${String(id).padStart(8, '0')}-tail.c000.snappy.parquet`,
      partitionValues: { day: '2026-12-31' }, size: 4096, modificationTime: 1767225600000 + id, dataChange: true,
      stats: '{"numRecords":10}' } }));
    const old = (v - 11) * 100 + k; // remove files from the checkpoint
    const day = `2026-${String(Math.floor(old / 86400) % 12 + 1).padStart(2, '0')}-${String(Math.floor(old / 3600) % 28 + 1).padStart(2, '0')}`;
    lines.push(JSON.stringify({ remove: { path: `day=${day}/part-${String(old).padStart(8, '0')}-4f1c7e2a-9b3d-4e5f-8a6b-${String(old).padStart(12, '0')}.c000.snappy.parquet`,
      deletionTimestamp: 1767225600000 + v, dataChange: true } }));
  }
  fs.writeFileSync(path.join(log, `${pad(v)}.json`), lines.join('\n') + '\n');
}
console.log(`wrote ${dir}: ${n} files in the checkpoint, 10 tail commits (+1000 -1000)`);
