// tests/data/delta/generate-many-row-groups.mjs: writes many-row-groups/,
// a Delta table whose classic checkpoint (version 10, written by DuckDB
// through bench/gen-checkpoint-table.mjs) holds 3,000 adds in row groups of
// 256 rows, followed by ten commits that add 100 files and remove 100
// checkpoint files each; and many-row-groups.expected.json with the
// checkpoint's adds in file order (read back by DuckDB, not by the
// project's reader) and the live set.  The server decodes row groups on
// two threads: the test checks that files still come in file order.
// Run once from the repository root: node tests/data/delta/generate-many-row-groups.mjs
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../peers/package.json', import.meta.url));
const { DuckDBInstance } = require('@duckdb/node-api');

const here = path.dirname(new URL(import.meta.url).pathname);
const dir = path.join(here, 'many-row-groups');
fs.rmSync(dir, { recursive: true, force: true });
execFileSync('node', [path.join(here, '../../../bench/gen-checkpoint-table.mjs'), dir, '24000', '6144'],
  { stdio: 'inherit' });

const cp = path.join(dir, '_delta_log', '00000000000000000010.checkpoint.parquet');
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const rows = (await c.runAndReadAll(
  `SELECT add.path AS p FROM read_parquet('${cp}', file_row_number = true)
   WHERE add IS NOT NULL ORDER BY file_row_number`)).getRowObjects().map((r) => r.p);
const groups = (await c.runAndReadAll(
  `SELECT count(DISTINCT row_group_id) AS n FROM parquet_metadata('${cp}')`)).getRowObjects()[0].n;

// the live set: the tail commits' adds, and the checkpoint's minus the removes
const removed = new Set();
const tail = [];
for (const f of fs.readdirSync(path.join(dir, '_delta_log')).filter((f) => f.endsWith('.json')).sort()) {
  for (const line of fs.readFileSync(path.join(dir, '_delta_log', f), 'utf8').split('\n')) {
    if (!line) continue;
    const a = JSON.parse(line);
    if (a.add) tail.push(a.add.path);
    if (a.remove) removed.add(a.remove.path);
  }
}
const live = [...tail, ...rows.filter((p) => !removed.has(p))].sort(); // byte order, as C strcmp
// digests of the paths, each ended by a newline
const digest = (l) => crypto.createHash('sha256').update(l.map((p) => p + '\n').join('')).digest('hex');
fs.writeFileSync(path.join(here, 'many-row-groups.expected.json'), JSON.stringify({
  checkpoint_row_groups: Number(groups),
  checkpoint_adds: rows.length,
  checkpoint_order_sha256: digest(rows),
  removed_from_checkpoint: removed.size,
  live: live.length,
  live_sorted_sha256: digest(live),
}, null, 1) + '\n');
console.log(`checkpoint: ${rows.length} adds in ${groups} row groups; ${live.length} live files`);
