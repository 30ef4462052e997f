// bench/duckdb-live-set.mjs TABLE_DIR
// Baseline: DuckDB computes the same live-file set from the same _delta_log
// files in SQL: checkpoint adds not touched by the commit tail, plus tail
// files whose newest action is an add.  Like delta-sharing-admin snapshot,
// it materialises each live file's path, size, partition values,
// modification time, dataChange and stats (summed so that no column can be
// skipped).  Prints "count total query_seconds".
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/peers/package.json', import.meta.url));
const { DuckDBInstance } = require('@duckdb/node-api');

const dir = process.argv[2];
const log = path.join(dir, '_delta_log');
const names = fs.readdirSync(log).sort();
const cps = names.filter((n) => /^\d{20}\.checkpoint\.parquet$/.test(n));
const cpv = cps.length ? Number(cps[cps.length - 1].slice(0, 20)) : -1;
const commits = names.filter((n) => /^\d{20}\.json$/.test(n) && Number(n.slice(0, 20)) > cpv)
  .map((n) => path.join(log, n));
const q = (s) => `'${s.replace(/'/g, "''")}'`;

const db = await DuckDBInstance.create(':memory:', { threads: process.env.DUCKDB_THREADS || '2' });
const c = await db.connect();
const t0 = process.hrtime.bigint();
const tail = commits.length ? `
  SELECT regexp_extract(filename, '(\\d{20})\\.json$', 1)::BIGINT AS v,
         coalesce(add.path, remove.path) AS path, add.size AS size, add IS NOT NULL AS is_add,
         length(add.stats) AS sl, cardinality(add.partitionValues) AS np,
         add.modificationTime AS mt, add.dataChange AS dc
  FROM read_json([${commits.map(q).join(',')}], format = 'newline_delimited', filename = true,
                 maximum_object_size = 1073741824,
                 columns = {add: 'STRUCT(path VARCHAR, size BIGINT, partitionValues MAP(VARCHAR, VARCHAR), modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR)', remove: 'STRUCT(path VARCHAR)'})
  WHERE add IS NOT NULL OR remove IS NOT NULL` : `SELECT 0::BIGINT AS v, ''::VARCHAR AS path, 0::BIGINT AS size, false AS is_add, 0 AS sl, 0 AS np, 0::BIGINT AS mt, false AS dc WHERE false`;
const cp = cpv >= 0 ? `SELECT add.path AS path, add.size AS size, length(add.stats) AS sl, cardinality(add.partitionValues) AS np,
         add.modificationTime AS mt, add.dataChange AS dc
  FROM read_parquet(${q(path.join(log, cps[cps.length - 1]))}) WHERE add IS NOT NULL`
  : `SELECT ''::VARCHAR AS path, 0::BIGINT AS size, 0 AS sl, 0 AS np, 0::BIGINT AS mt, false AS dc WHERE false`;
const sql = `
WITH tail AS (${tail}),
     latest AS (SELECT path, arg_max(is_add, v) AS is_add, arg_max(size, v) AS size,
                       arg_max(sl, v) AS sl, arg_max(np, v) AS np, arg_max(mt, v) AS mt,
                       arg_max(dc, v) AS dc FROM tail GROUP BY path),
     live AS (SELECT path, size, sl, np, mt, dc FROM latest WHERE is_add
              UNION ALL
              SELECT cp.path, cp.size, cp.sl, cp.np, cp.mt, cp.dc FROM (${cp}) cp ANTI JOIN tail ON cp.path = tail.path)
SELECT count(*)::BIGINT AS n, sum(size)::BIGINT AS total, sum(sl)::BIGINT, sum(np)::BIGINT,
       sum(mt)::HUGEINT, count(dc) FROM live`;
const r = await c.runAndReadAll(sql);
const t1 = process.hrtime.bigint();
const row = r.getRows()[0];
console.log(`${row[0]} ${row[1]} ${(Number(t1 - t0) / 1e9).toFixed(3)}`);
