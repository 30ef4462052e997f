// tests/peers/s3rver-run.mjs DIR PORT [KEYID:SECRET ...]
//
// Starts s3rver on 127.0.0.1:PORT (0 = any free port) with its objects
// under DIR, adds each KEYID:SECRET pair to the accounts it accepts (the
// built-in S3RVER/S3RVER pair stays valid), and prints "READY <port>" once
// it listens.  SIGTERM/SIGINT close it.  Run it with
// `node --openssl-legacy-provider`: s3rver encrypts ListObjectsV2
// continuation tokens with DES, which Node's OpenSSL 3 disables otherwise
// (every truncated listing would answer 500).
import { createRequire } from 'node:module';
import path from 'node:path';

// The pinned modules: $DS_PEERS_MODULES (set by peers.sh; a distcheck copy
// of the tree has none of its own), else node_modules next to this file.
const require = createRequire(process.env.DS_PEERS_MODULES
  ? path.join(process.env.DS_PEERS_MODULES, '..', 'peers.js')
  : import.meta.url);
const S3rver = require('s3rver');
const AWSAccount = require('s3rver/lib/models/account.js');

const [dir, port = '0', ...pairs] = process.argv.slice(2);
if (!dir) {
  console.error('usage: s3rver-run.mjs DIR PORT [KEYID:SECRET ...]');
  process.exit(2);
}
for (const pair of pairs) {
  const colon = pair.indexOf(':');
  if (colon <= 0) {
    console.error(`s3rver-run: bad key pair "${pair}" (want KEYID:SECRET)`);
    process.exit(2);
  }
  AWSAccount.DUMMY_ACCOUNT.createKeyPair(pair.slice(0, colon), pair.slice(colon + 1));
}

const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  directory: dir,
  silent: true,
});
const address = await server.run();
console.log(`READY ${address.port}`);

function stop() {
  // Keep-alive connections would hold close() open; do not wait for them.
  setTimeout(() => process.exit(0), 500).unref();
  server.close(() => process.exit(0));
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
