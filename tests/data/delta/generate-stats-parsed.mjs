// tests/data/delta/generate-stats-parsed.mjs: writes stats-parsed-types/,
// a Delta table whose version-1 checkpoint (written by DuckDB) has typed
// add.stats_parsed and no add.stats column, while the commits 0 and 1 carry
// the same statistics as JSON.  Replaying the checkpoint must rebuild stats
// equal in meaning to the commits' JSON: dates, microsecond timestamps,
// decimals stored as INT32, INT64 and FIXED_LEN_BYTE_ARRAY, doubles,
// strings, nested structs and null counts.
// Run once from the repository root: node tests/data/delta/generate-stats-parsed.mjs
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../peers/package.json', import.meta.url));
const { DuckDBInstance } = require('@duckdb/node-api');

const dir = new URL('./stats-parsed-types/', import.meta.url).pathname;
fs.rmSync(dir, { recursive: true, force: true });
const log = path.join(dir, '_delta_log');
fs.mkdirSync(log, { recursive: true });

const schema = JSON.stringify({ type: 'struct', fields: [
  { name: 'd', type: 'date', nullable: true, metadata: {} },
  { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
  { name: 'small', type: 'decimal(4,1)', nullable: true, metadata: {} },
  { name: 'mid', type: 'decimal(12,2)', nullable: true, metadata: {} },
  { name: 'big', type: 'decimal(30,5)', nullable: true, metadata: {} },
  { name: 'x', type: 'double', nullable: true, metadata: {} },
  { name: 's', type: 'string', nullable: true, metadata: {} },
  { name: 'n', type: { type: 'struct', fields: [{ name: 'i', type: 'integer', nullable: true, metadata: {} }] }, nullable: true, metadata: {} }] });

// Three files with typed min/max values; the JSON form is what a Delta
// writer would put in add.stats for the same values.
const files = [
  { path: 'part-0.parquet', n: 10, d: ['2024-01-02', '2024-02-29'], ts: ['2024-01-02T03:04:05.123Z', '2024-01-02T23:59:59.999Z'],
    small: ['-12.5', '99.9'], mid: ['0.01', '1234567890.12'], big: ['-1234567890123456789012345.67891', '1234567890123456789012345.00001'],
    x: [-1.5, 2.25], s: ['alpha', 'omega'], i: [-7, 42], nulls: { d: 0, s: 3 } },
  { path: 'part-1.parquet', n: 1, d: ['1969-12-31', '1969-12-31'], ts: ['1969-12-31T23:59:59.999Z', '1970-01-01T00:00:00.000Z'],
    small: ['0.0', '0.0'], mid: ['-0.50', '-0.50'], big: ['0.00000', '0.00001'],
    x: [0, 0], s: ['é ü \u2028', 'zz'], i: [0, 0], nulls: { d: 1, s: 0 } },
  { path: 'part-2.parquet', n: 5, d: ['2000-01-01', '2038-01-19'], ts: ['2000-01-01T00:00:00.000Z', '2262-04-11T23:47:16.854Z'],
    small: ['-999.9', '999.9'], mid: ['-9999999999.99', '9999999999.99'], big: ['99999999999999999999999.99999', '-99999999999999999999999.99999'],
    x: [1e-300, 1e300], s: ['"quoted"', 'back\\slash'], i: [2147483647, -2147483648], nulls: { d: 5, s: 5 } },
];
// decimals go into the JSON as exact number text, as Spark writes them
const num = (v) => `@@${v}@@`;
const jsonStats = (f) => JSON.stringify({
  numRecords: f.n,
  minValues: { d: f.d[0], ts: f.ts[0], small: num(f.small[0]), mid: num(f.mid[0]), big: num(f.big[0]), x: f.x[0], s: f.s[0], n: { i: f.i[0] } },
  maxValues: { d: f.d[1], ts: f.ts[1], small: num(f.small[1]), mid: num(f.mid[1]), big: num(f.big[1]), x: f.x[1], s: f.s[1], n: { i: f.i[1] } },
  nullCount: { d: f.nulls.d, ts: 0, small: 0, mid: 0, big: 0, x: 0, s: f.nulls.s, n: { i: 0 } },
}).replace(/"@@([-0-9.]+)@@"/g, '$1');
const pad = (v) => String(v).padStart(20, '0');
const proto = { protocol: { minReaderVersion: 1, minWriterVersion: 2 } };
const meta = { metaData: { id: 'stats-parsed-types', format: { provider: 'parquet', options: {} }, schemaString: schema,
  partitionColumns: [], configuration: {}, createdTime: 1704067200000 } };
const add = (f) => ({ add: { path: f.path, partitionValues: {}, size: 1000, modificationTime: 1704067200000, dataChange: true, stats: jsonStats(f) } });
fs.writeFileSync(path.join(log, `${pad(0)}.json`), [proto, meta, add(files[0]), add(files[1])].map((a) => JSON.stringify(a)).join('\n') + '\n');
fs.writeFileSync(path.join(log, `${pad(1)}.json`), [add(files[2])].map((a) => JSON.stringify(a)).join('\n') + '\n');

const q = (s) => `'${String(s).replace(/'/g, "''")}'`;
const side = (f, k) => `{'d': DATE ${q(f.d[k])}, 'ts': TIMESTAMP ${q(f.ts[k].replace('T', ' ').replace('Z', ''))},
  'small': ${f.small[k]}::DECIMAL(4,1), 'mid': ${f.mid[k]}::DECIMAL(12,2), 'big': ${q(f.big[k])}::DECIMAL(30,5),
  'x': ${f.x[k]}::DOUBLE, 's': ${q(f.s[k])}, 'n': {'i': (${f.i[k]})::INTEGER}}`;
const statsType = `STRUCT(numRecords BIGINT,
  minValues STRUCT(d DATE, ts TIMESTAMP, small DECIMAL(4,1), mid DECIMAL(12,2), big DECIMAL(30,5), x DOUBLE, s VARCHAR, n STRUCT(i INTEGER)),
  maxValues STRUCT(d DATE, ts TIMESTAMP, small DECIMAL(4,1), mid DECIMAL(12,2), big DECIMAL(30,5), x DOUBLE, s VARCHAR, n STRUCT(i INTEGER)),
  nullCount STRUCT(d BIGINT, ts BIGINT, small BIGINT, mid BIGINT, big BIGINT, x BIGINT, s BIGINT, n STRUCT(i BIGINT)))`;
const addType = `STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, modificationTime BIGINT,
  dataChange BOOLEAN, stats_parsed ${statsType})`;
const rows = files.map((f) => `SELECT NULL::STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER) AS protocol,
  NULL::STRUCT(id VARCHAR, format STRUCT(provider VARCHAR, options MAP(VARCHAR, VARCHAR)), schemaString VARCHAR,
               partitionColumns VARCHAR[], configuration MAP(VARCHAR, VARCHAR), createdTime BIGINT) AS metaData,
  {'path': ${q(f.path)}, 'partitionValues': MAP {}, 'size': 1000, 'modificationTime': 1704067200000, 'dataChange': true,
   'stats_parsed': {'numRecords': ${f.n}, 'minValues': ${side(f, 0)}, 'maxValues': ${side(f, 1)},
     'nullCount': {'d': ${f.nulls.d}, 'ts': 0, 'small': 0, 'mid': 0, 'big': 0, 'x': 0, 's': ${f.nulls.s}, 'n': {'i': 0}}}}::${addType} AS add`);
rows.push(`SELECT {'minReaderVersion': 1, 'minWriterVersion': 2}, NULL, NULL`);
rows.push(`SELECT NULL, {'id': 'stats-parsed-types', 'format': {'provider': 'parquet', 'options': MAP {}},
  'schemaString': ${q(schema)}, 'partitionColumns': []::VARCHAR[], 'configuration': MAP {}, 'createdTime': 1704067200000}, NULL`);
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
await c.run(`COPY (${rows.join('\nUNION ALL\n')}) TO ${q(path.join(log, `${pad(1)}.checkpoint.parquet`))} (FORMAT parquet, COMPRESSION zstd)`);
fs.writeFileSync(path.join(log, '_last_checkpoint'), JSON.stringify({ version: 1, size: 5 }) + '\n');
console.log('wrote', dir);
