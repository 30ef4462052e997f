// examples/generate-sample-table.mjs: writes examples/sample-table/, the small
// Delta table the quick start shares, and examples/sample-table.mtimes.tsv,
// the commit times that examples/restore-mtimes.sh puts back after a checkout.
//
// No Delta writer (Spark, delta-rs) is available where this project is built,
// so the work is split: DuckDB writes the Parquet data files, and this script
// writes the Delta log by hand, following the Delta protocol: stats are
// computed by DuckDB from the files it wrote, sizes are the files' real sizes.
// Everything is fixed (UUIDs, times, rows), so two runs give the same bytes
// with the same DuckDB (the version pinned in tests/peers/package-lock.json).
//
// The table, partitioned by country:
//   version 0  CREATE TABLE AS: three files, country=US, DE and JP
//   version 1  an INSERT (blind append): a second file for country=US
//   version 2  DELETE WHERE country = 'JP': the JP file is removed
//
// Run from the repository root (once, and again only on purpose):
//   npm ci --prefix tests/peers && node examples/generate-sample-table.mjs [OUTDIR]
// OUTDIR defaults to examples/sample-table (its .mtimes.tsv goes next to it).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/peers/package.json', import.meta.url));
const { DuckDBInstance } = require('@duckdb/node-api');

const out = path.resolve(process.argv[2] || new URL('./sample-table', import.meta.url).pathname);
const mtimesFile = `${out}.mtimes.tsv`;

// ---- the fixed inputs ------------------------------------------------------

const TABLE_ID = 'e7631879-dab1-4b40-ba3c-aa96148d1f5e';
const ms = (iso) => Date.parse(iso);
// Commit times: each commit file's mtime is its commit timestamp (no
// in-commit timestamps), so these are what time travel by timestamp sees.
const COMMIT_TIME = [ms('2024-03-01T09:00:00Z'), ms('2024-03-02T09:00:00Z'), ms('2024-03-03T09:00:00Z')];
const CREATED_TIME = COMMIT_TIME[0] - 2000;

const schema = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'name', type: 'string', nullable: true, metadata: {} },
    { name: 'amount', type: 'decimal(10,2)', nullable: true, metadata: {} },
    { name: 'event_date', type: 'date', nullable: true, metadata: {} },
    { name: 'country', type: 'string', nullable: true, metadata: {} },
  ],
};
const DATA_COLUMNS = ['id', 'name', 'amount', 'event_date']; // country lives in the path only
const DUCKDB_TYPES = 'id BIGINT, name VARCHAR, amount DECIMAL(10,2), event_date DATE';

// One data file per entry; rows are (id, name, amount, event_date).
const FILES = {
  us0: { country: 'US', part: 0, uuid: '43989d48-abde-423f-95ab-5c37cb0e4d12', rows: [
    [1, 'Alice', '120.50', '2024-02-01'],
    [2, 'Bob', '35.00', '2024-02-03'],
    [3, 'Carol', '980.25', '2024-02-10'],
    [4, 'Dan', '12.99', '2024-02-14'],
  ] },
  de0: { country: 'DE', part: 1, uuid: '94f87c60-30b7-47d3-ac21-d9a5b7554d28', rows: [
    [5, 'Erika', '250.00', '2024-02-02'],
    [6, null, '75.40', '2024-02-09'],
    [7, 'Jürgen', '19.90', '2024-02-20'],
  ] },
  jp0: { country: 'JP', part: 2, uuid: '3c6d4315-184c-45b1-afc0-0a7d7789ce7f', rows: [
    [8, 'Haruto', '5400.00', '2024-02-05'],
    [9, 'Yui', '320.75', '2024-02-18'],
  ] },
  us1: { country: 'US', part: 0, uuid: '7ac84997-d95f-4be4-bdec-77c406786c45', rows: [
    [10, 'Erin', '64.00', '2024-02-25'],
    [11, 'Frank', null, '2024-02-27'],
    [12, 'Grace', '410.10', '2024-02-29'],
  ] },
};
const TXN_ID = ['27a2d2f8-cc47-47d8-bd3c-40ee588a3118', 'cbb1b196-9ba2-459f-ac77-048e9c2bfe3e',
  'f5c05b0b-2728-4d8f-a290-aad800e3fdb7'];
const ENGINE = 'examples/generate-sample-table.mjs (Parquet written by DuckDB)';

// ---- helpers ---------------------------------------------------------------

const pad = (v) => String(v).padStart(20, '0');
const sql = (s) => (s === null ? 'NULL' : `'${String(s).replace(/'/g, "''")}'`);
for (const f of Object.values(FILES)) {
  // Hive-style directory names would need escaping for other values; these need none.
  if (!/^[A-Z]{2}$/.test(f.country)) throw new Error(`unexpected country ${f.country}`);
  f.rel = `country=${f.country}/part-${String(f.part).padStart(5, '0')}-${f.uuid}-c000.snappy.parquet`;
}
// The log's path is the relative path as an RFC 2396 URI path: every byte
// outside the unreserved and path characters percent-encoded.
const uriPath = (rel) => rel.split('/').map((seg) => Array.from(Buffer.from(seg, 'utf8'))
  .map((b) => (/[A-Za-z0-9\-_.!~*'()=:@&+$,;]/.test(String.fromCharCode(b)) ? String.fromCharCode(b)
    : '%' + b.toString(16).toUpperCase().padStart(2, '0'))).join('')).join('/');

// Decimal and integer statistics go into the stats JSON as numbers with the
// exact text DuckDB gives (e.g. 35.00), as Spark writes them.
const NUM = (text) => ({ __num: text });
const statsJson = (v) => JSON.stringify(v, (k, x) => (x && x.__num !== undefined ? `@@${x.__num}@@` : x))
  .replace(/"@@(-?[0-9.]+)@@"/g, '$1');

// ---- data files (DuckDB) ----------------------------------------------------

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, '_delta_log'), { recursive: true });
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const rowsOf = async (q) => (await con.runAndReadAll(q)).getRowObjectsJS();

for (const f of Object.values(FILES)) {
  const file = path.join(out, f.rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const values = f.rows.map(([id, name, amount, date]) =>
    `(${id}, ${sql(name)}, ${amount === null ? 'NULL' : amount}, ${date === null ? 'NULL' : `DATE ${sql(date)}`})`);
  await con.run(`CREATE OR REPLACE TABLE t (${DUCKDB_TYPES})`);
  await con.run(`INSERT INTO t VALUES ${values.join(', ')}`);
  await con.run(`COPY (SELECT * FROM t ORDER BY id) TO ${sql(file)} (FORMAT parquet, COMPRESSION snappy)`);

  // Statistics from the file just written, not from the inputs above.
  const [s] = await rowsOf(`SELECT count(*)::VARCHAR AS n,
      min(id)::VARCHAR AS min_id, max(id)::VARCHAR AS max_id, count(*) - count(id) AS null_id,
      min(name) AS min_name, max(name) AS max_name, count(*) - count(name) AS null_name,
      min(amount)::VARCHAR AS min_amount, max(amount)::VARCHAR AS max_amount, count(*) - count(amount) AS null_amount,
      strftime(min(event_date), '%Y-%m-%d') AS min_date, strftime(max(event_date), '%Y-%m-%d') AS max_date,
      count(*) - count(event_date) AS null_date
    FROM read_parquet(${sql(file)})`);
  const minmax = (lo, hi) => ({
    ...(s[`${lo}_id`] !== null && { id: NUM(s[`${lo}_id`]) }),
    ...(s[`${lo}_name`] !== null && { name: s[`${lo}_name`] }),
    ...(s[`${lo}_amount`] !== null && { amount: NUM(s[`${lo}_amount`]) }),
    ...(s[`${lo}_date`] !== null && { event_date: s[`${lo}_date`] }),
  });
  f.numRecords = Number(s.n);
  f.stats = statsJson({
    numRecords: NUM(s.n),
    minValues: minmax('min'),
    maxValues: minmax('max'),
    nullCount: { id: NUM(String(s.null_id)), name: NUM(String(s.null_name)),
      amount: NUM(String(s.null_amount)), event_date: NUM(String(s.null_date)) },
  });
  f.size = fs.statSync(file).size;

  // The file must read back as written: same columns, same rows.
  const cols = (await rowsOf(`SELECT name, type FROM parquet_schema(${sql(file)}) WHERE name <> 'duckdb_schema'`))
    .map((r) => r.name);
  if (cols.join() !== DATA_COLUMNS.join()) throw new Error(`${f.rel}: columns ${cols}`);
  const back = await rowsOf(`SELECT id::VARCHAR AS id, name, amount::VARCHAR AS amount,
      strftime(event_date, '%Y-%m-%d') AS d FROM read_parquet(${sql(file)}) ORDER BY id`);
  const want = f.rows.map(([id, name, amount, date]) => [String(id), name, amount, date].join('|'));
  if (back.map((r) => [r.id, r.name, r.amount, r.d].join('|')).join('\n') !== want.join('\n')) {
    throw new Error(`${f.rel}: rows read back differ`);
  }
  const [meta] = await rowsOf(`SELECT DISTINCT compression FROM parquet_metadata(${sql(file)})`);
  if (meta.compression !== 'SNAPPY') throw new Error(`${f.rel}: compression ${meta.compression}`);
}
con.closeSync?.();

// ---- the Delta log ---------------------------------------------------------------

const add = (f, commit) => ({ add: {
  path: uriPath(f.rel),
  partitionValues: { country: f.country },
  size: f.size,
  modificationTime: COMMIT_TIME[commit] - 1000,
  dataChange: true,
  stats: f.stats,
} });
const bytes = (...fs_) => String(fs_.reduce((a, f) => a + f.size, 0));
const rows = (...fs_) => String(fs_.reduce((a, f) => a + f.numRecords, 0));

const commits = [
  [
    { commitInfo: {
      timestamp: COMMIT_TIME[0], operation: 'CREATE TABLE AS SELECT',
      operationParameters: { partitionBy: '["country"]', description: 'Sample orders', properties: '{}' },
      isolationLevel: 'Serializable', isBlindAppend: true,
      operationMetrics: { numFiles: '3', numOutputRows: rows(FILES.us0, FILES.de0, FILES.jp0),
        numOutputBytes: bytes(FILES.us0, FILES.de0, FILES.jp0) },
      engineInfo: ENGINE, txnId: TXN_ID[0],
    } },
    { protocol: { minReaderVersion: 1, minWriterVersion: 4 } },
    { metaData: {
      id: TABLE_ID,
      name: 'sample',
      description: 'Sample orders: a small Delta table shipped with delta-sharing-fcgi',
      format: { provider: 'parquet', options: {} },
      schemaString: JSON.stringify(schema),
      partitionColumns: ['country'],
      configuration: { 'delta.enableChangeDataFeed': 'true' },
      createdTime: CREATED_TIME,
    } },
    add(FILES.us0, 0),
    add(FILES.de0, 0),
    add(FILES.jp0, 0),
  ],
  [
    { commitInfo: {
      timestamp: COMMIT_TIME[1], operation: 'WRITE',
      operationParameters: { mode: 'Append', partitionBy: '[]' },
      readVersion: 0, isolationLevel: 'Serializable', isBlindAppend: true,
      operationMetrics: { numFiles: '1', numOutputRows: rows(FILES.us1), numOutputBytes: bytes(FILES.us1) },
      engineInfo: ENGINE, txnId: TXN_ID[1],
    } },
    add(FILES.us1, 1),
  ],
  [
    { commitInfo: {
      timestamp: COMMIT_TIME[2], operation: 'DELETE',
      operationParameters: { predicate: '["(country = \'JP\')"]' },
      readVersion: 1, isolationLevel: 'Serializable', isBlindAppend: false,
      operationMetrics: { numRemovedFiles: '1', numRemovedBytes: bytes(FILES.jp0), numAddedFiles: '0',
        numDeletedRows: rows(FILES.jp0), numCopiedRows: '0' },
      engineInfo: ENGINE, txnId: TXN_ID[2],
    } },
    { remove: {
      path: uriPath(FILES.jp0.rel),
      deletionTimestamp: COMMIT_TIME[2],
      dataChange: true,
      extendedFileMetadata: true,
      partitionValues: { country: FILES.jp0.country },
      size: FILES.jp0.size,
    } },
  ],
];

const tsv = ['# path (relative to the table root)\tepoch_ms\tutc'];
commits.forEach((actions, v) => {
  const rel = `_delta_log/${pad(v)}.json`;
  fs.writeFileSync(path.join(out, rel), actions.map((a) => JSON.stringify(a)).join('\n') + '\n');
  fs.utimesSync(path.join(out, rel), COMMIT_TIME[v] / 1000, COMMIT_TIME[v] / 1000);
  tsv.push(`${rel}\t${COMMIT_TIME[v]}\t${new Date(COMMIT_TIME[v]).toISOString()}`);
});
fs.writeFileSync(mtimesFile, tsv.join('\n') + '\n');
console.log(`wrote ${out} (versions 0-${commits.length - 1}) and ${mtimesFile}`);
