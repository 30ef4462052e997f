// tests/peers/seed.mjs --src DIR [--no-s3] [--no-azure] TABLE...
//
// Uploads every file under DIR/TABLE (whole trees, relative paths kept)
// into the running peers, as object/blob "TABLE/<relative path>":
//   s3rver:  bucket $DS_TEST_S3_BUCKET at $DS_TEST_S3_ENDPOINT (anonymous
//            PUTs, which s3rver accepts); then each stored object file gets
//            the source file's mtime, because s3rver reports that mtime
//            (whole seconds) as LastModified.  Needs $DS_TEST_S3_DIR.
//   azurite: container $DS_TEST_AZ_CONTAINER of $DS_TEST_AZ_ACCOUNT at
//            $DS_TEST_AZ_ENDPOINT, SharedKey-signed with $DS_TEST_AZ_KEY.
//            Its Last-Modified is the upload time and stays so.
// A peer whose endpoint variable is unset is left out.  Uploads run in
// parallel; prints one summary line per store.
import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import path from 'node:path';

const require = createRequire(process.env.DS_PEERS_MODULES
  ? path.join(process.env.DS_PEERS_MODULES, '..', 'peers.js')
  : import.meta.url);

const args = process.argv.slice(2);
let src = null;
let useS3 = Boolean(process.env.DS_TEST_S3_ENDPOINT);
let useAz = Boolean(process.env.DS_TEST_AZ_ENDPOINT);
const tables = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--src') src = args[++i];
  else if (args[i] === '--no-s3') useS3 = false;
  else if (args[i] === '--no-azure') useAz = false;
  else tables.push(args[i]);
}
if (!src || tables.length === 0) {
  console.error('usage: seed.mjs --src DIR [--no-s3] [--no-azure] TABLE...');
  process.exit(2);
}

// Every regular file under root, as [relative path with '/', absolute path].
async function walk(root, rel = '') {
  const out = [];
  for (const e of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...await walk(root, r));
    else if (e.isFile()) out.push([r, path.join(root, r)]);
  }
  return out;
}

// Runs fn over items, at most `width` at a time.
async function pool(items, width, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

const files = []; // { key, file, mtime }
for (const t of tables) {
  const dir = path.join(src, t);
  for (const [rel, abs] of await walk(dir)) {
    files.push({ key: `${t}/${rel}`, file: abs, mtime: (await fs.stat(abs)).mtime });
  }
}

const encodeKey = (key) => key.split('/').map(encodeURIComponent).join('/');

async function seedS3() {
  const endpoint = process.env.DS_TEST_S3_ENDPOINT;
  const bucket = process.env.DS_TEST_S3_BUCKET || 'fixtures';
  const dataDir = process.env.DS_TEST_S3_DIR;
  let r = await fetch(`${endpoint}/${bucket}`, { method: 'PUT' });
  if (r.status !== 200 && r.status !== 409) throw new Error(`s3 create bucket: ${r.status}`);
  await r.arrayBuffer();
  const objPath = (f) => {
    const parts = f.key.split('/');
    return path.join(dataDir, bucket, ...parts.slice(0, -1),
      `${parts[parts.length - 1]}._S3rver_object`);
  };
  await pool(files, 16, async (f) => {
    const body = await fs.readFile(f.file);
    const res = await fetch(`${endpoint}/${bucket}/${encodeKey(f.key)}`, { method: 'PUT', body });
    if (res.status !== 200) throw new Error(`s3 PUT ${f.key}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  });
  // s3rver keeps <key>._S3rver_object; its mtime is what LastModified shows.
  // Set it once every upload has finished (s3rver may still be writing a
  // file when it answers a PUT), then check through HEAD, and again until
  // every object shows its source's time.
  if (dataDir) {
    let left = files;
    for (let round = 0; left.length && round < 20; round++) {
      if (round) await new Promise((ok) => setTimeout(ok, 100));
      await pool(left, 16, async (f) => fs.utimes(objPath(f), f.mtime, f.mtime));
      const wrong = [];
      await pool(left, 16, async (f) => {
        const res = await fetch(`${endpoint}/${bucket}/${encodeKey(f.key)}`, { method: 'HEAD' });
        const lm = Date.parse(res.headers.get('last-modified') || '');
        if (res.status !== 200 || Math.floor(lm / 1000) !== Math.floor(f.mtime.getTime() / 1000))
          wrong.push(f);
      });
      left = wrong;
    }
    if (left.length) throw new Error(`s3: ${left.length} objects keep the wrong LastModified`);
  }
  console.log(`seed: s3 ${endpoint}/${bucket}: ${files.length} objects` +
    (dataDir ? ', LastModified = source mtime' : ' (no DS_TEST_S3_DIR: LastModified = now)'));
}

async function seedAzure() {
  const { BlobServiceClient, StorageSharedKeyCredential } = require('@azure/storage-blob');
  const account = process.env.DS_TEST_AZ_ACCOUNT;
  const container = process.env.DS_TEST_AZ_CONTAINER || 'fixtures';
  const cred = new StorageSharedKeyCredential(account, process.env.DS_TEST_AZ_KEY);
  const service = new BlobServiceClient(`${process.env.DS_TEST_AZ_ENDPOINT}/${account}`, cred,
    { retryOptions: { maxTries: 2 } });
  const cc = service.getContainerClient(container);
  await cc.createIfNotExists();
  await pool(files, 16, async (f) => {
    const body = await fs.readFile(f.file);
    await cc.getBlockBlobClient(f.key).uploadData(body);
  });
  console.log(`seed: azure ${process.env.DS_TEST_AZ_ENDPOINT}/${account}/${container}: ` +
    `${files.length} blobs, Last-Modified = upload time`);
}

try {
  await Promise.all([useS3 && seedS3(), useAz && seedAzure()]);
} catch (e) {
  console.error(`seed: ${e.message}`);
  process.exit(1);
}
