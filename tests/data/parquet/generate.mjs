// generate.mjs - writes the Parquet test files of tests/data/parquet/ once,
// with two independent writers, plus the values they hold.
//
//   npm ci --prefix tests/peers --no-audit --no-fund
//   node tests/data/parquet/generate.mjs
//
// One data set (the SQL below) is written by DuckDB (COPY ... TO, several
// codecs and PARQUET_VERSION V1/V2) and re-encoded by arrow-rs through
// parquet-wasm (DataPage v2, DELTA_BYTE_ARRAY, dictionary fallback in the
// middle of a column chunk, many row groups and pages).  DuckDB also
// writes rows.jsonl.gz: one JSON object per row, with every leaf value in
// the form its Parquet physical type stores it (days for DATE, unscaled
// integers for DECIMAL, microseconds for TIMESTAMP, hex for binary), so the
// C tests can compare what they decode with what was written.
import { createRequire } from 'node:module';
import { writeFileSync, readFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../../peers/package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');
const pw = require('parquet-wasm');

const ROWS = 4000;

// Columns cover every physical type DuckDB and arrow-rs write here, nulls
// at every level, MAP and LIST with null, empty and non-empty values and
// null values/elements inside, and a struct nested in a struct.
const DATA = `
SELECT
  i::BIGINT AS id,
  CASE WHEN i % 7 = 3 THEN NULL ELSE (i * 37 % 1000)::INTEGER - 500 END AS n32,
  i::BIGINT * 1000003 - 2500000000 AS n64,
  CASE WHEN i % 11 = 0 THEN NULL ELSE 'cat-' || (i % 13) END AS s_dict,
  'part-' || lpad((i // 3)::VARCHAR, 5, '0') || '/file-' || (i * 7919 % 100003) || '.parquet'
      AS s_uniq,
  i % 3 = 0 AS b,
  CASE WHEN i % 5 = 0 THEN NULL ELSE i % 2 = 0 END AS bn,
  (i / 8.0)::DOUBLE AS d,
  ((i % 100) / 4.0 - 10)::FLOAT AS f,
  DATE '2020-01-01' + (i % 1000)::INTEGER AS dt,
  TIMESTAMP '2024-01-01 00:00:00' + to_microseconds(i::BIGINT * 1234567) AS ts,
  ((i * 13 % 100000) / 100.0 - 300)::DECIMAL(10, 2) AS dec,
  encode('blob-' || (i % 17)) AS bl,
  CASE WHEN i % 9 = 0 THEN NULL
       WHEN i % 9 = 1 THEN map([]::VARCHAR[], []::VARCHAR[])
       WHEN i % 9 = 2 THEN map(['date'], [NULL::VARCHAR])
       ELSE map(['date', 'k' || (i % 4)], ['2020-01-' || lpad((i % 28 + 1)::VARCHAR, 2, '0'), 'v' || i])
  END AS pv,
  CASE WHEN i % 6 = 0 THEN NULL
       WHEN i % 6 = 1 THEN []::VARCHAR[]
       WHEN i % 6 = 2 THEN ['a' || i, NULL, 'c']
       ELSE ['x' || (i % 5)]
  END AS tags,
  CASE WHEN i % 10 = 0 THEN NULL ELSE {
      path: 'f' || i,
      size: i * 10,
      dv: CASE WHEN i % 4 = 0 THEN NULL
               ELSE {storageType: 'u', off: CASE WHEN i % 8 = 1 THEN NULL ELSE (i % 1000)::INTEGER END}
          END
  } END AS st
FROM range(${ROWS}) t(i)
ORDER BY i`;

// The same rows with each leaf as its physical value.
const EXPECTED = `
SELECT to_json({
  id: id, n32: n32, n64: n64, s_dict: s_dict, s_uniq: s_uniq, b: b, bn: bn, d: d, f: f,
  dt: datediff('day', DATE '1970-01-01', dt),
  ts: epoch_us(ts),
  dec: (dec * 100)::BIGINT,
  bl: hex(bl),
  pv: pv, tags: tags, st: st
}) AS j
FROM (${DATA}) ORDER BY id`;

const tmp = mkdtempSync(join(tmpdir(), 'pqgen-'));
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run(`SET threads = 1`); // one writer thread: a stable row order
await con.run(`CREATE TABLE t AS ${DATA}`);

const written = [];
async function duck(name, options, where = 'true') {
  const path = join(here, name);
  await con.run(`COPY (SELECT * FROM t WHERE ${where} ORDER BY id) TO '${path}' (FORMAT parquet, ${options})`);
  written.push(name);
}

// DuckDB: DataPage v1; V2 switches to DELTA_BINARY_PACKED,
// DELTA_LENGTH_BYTE_ARRAY, BYTE_STREAM_SPLIT and RLE_DICTIONARY.
await duck('duckdb-v1-gzip.parquet', 'COMPRESSION gzip, ROW_GROUP_SIZE 2048');
await duck('duckdb-v2-zstd.parquet', 'COMPRESSION zstd, PARQUET_VERSION V2, ROW_GROUP_SIZE 2048');
// (the first 1000 rows only, to keep the file small)
await duck('duckdb-v2-uncompressed.parquet', 'COMPRESSION uncompressed, PARQUET_VERSION V2', 'id < 1000');
await con.run(`COPY (SELECT * FROM t WHERE false) TO '${join(here, 'duckdb-empty.parquet')}' (FORMAT parquet)`);
written.push('duckdb-empty.parquet');

// arrow-rs (parquet-wasm) re-encodes DuckDB's file.
const src = join(tmp, 'src.parquet');
await con.run(`COPY (SELECT * FROM t ORDER BY id) TO '${src}' (FORMAT parquet, COMPRESSION uncompressed)`);
const srcBytes = readFileSync(src);

function arrow(name, configure) {
  let b = new pw.WriterPropertiesBuilder();
  b = configure(b);
  const table = pw.readParquet(srcBytes);
  const out = pw.writeParquet(table, b.build());
  writeFileSync(join(here, name), out);
  written.push(name);
}

// DataPage v2 with many small pages, small row groups, and a dictionary
// that overflows mid-chunk: arrow-rs then falls back to its v2 encodings
// (DELTA_BYTE_ARRAY for strings, DELTA_BINARY_PACKED for integers, RLE
// for booleans).
arrow('arrow-v2-snappy-fallback.parquet', (b) => b
  .setWriterVersion(pw.WriterVersion.V2)
  .setCompression(pw.Compression.SNAPPY)
  .setMaxRowGroupSize(1500)
  .setDataPageSizeLimit(1024)
  .setDictionaryPageSizeLimit(512)
  .setWriteBatchSize(64));

// DataPage v1, parquet-mr style: dictionary with a PLAIN fallback
// mid-chunk, GZIP, many pages.
arrow('arrow-v1-gzip-fallback.parquet', (b) => b
  .setWriterVersion(pw.WriterVersion.V1)
  .setCompression(pw.Compression.GZIP)
  .setMaxRowGroupSize(2000)
  .setDataPageSizeLimit(2048)
  .setDictionaryPageSizeLimit(1024)
  .setWriteBatchSize(128));

// DataPage v2 without dictionaries: arrow-rs's v2 defaults then give
// DELTA_BYTE_ARRAY for strings, DELTA_BINARY_PACKED for integers and RLE for
// booleans; the blob is DELTA_LENGTH_BYTE_ARRAY and floating point
// BYTE_STREAM_SPLIT.  ZSTD.
arrow('arrow-v2-zstd-delta.parquet', (b) => b
  .setWriterVersion(pw.WriterVersion.V2)
  .setCompression(pw.Compression.ZSTD)
  .setDictionaryEnabled(false)
  .setColumnEncoding('d', pw.Encoding.BYTE_STREAM_SPLIT)
  .setColumnEncoding('f', pw.Encoding.BYTE_STREAM_SPLIT)
  .setColumnEncoding('bl', pw.Encoding.DELTA_LENGTH_BYTE_ARRAY)
  .setMaxRowGroupSize(2500)
  .setDataPageSizeLimit(4096)
  .setWriteBatchSize(256));

// The values.
const rows = await con.runAndReadAll(EXPECTED);
const lines = rows.getRows().map((r) => r[0]).join('\n') + '\n';
writeFileSync(join(here, 'rows.jsonl.gz'), gzipSync(Buffer.from(lines), { level: 9 }));
written.push('rows.jsonl.gz');

rmSync(tmp, { recursive: true, force: true });
let total = 0;
for (const n of written) {
  const s = statSync(join(here, n)).size;
  total += s;
  console.log(`${n}\t${s}`);
}
console.log(`total\t${total}`);
