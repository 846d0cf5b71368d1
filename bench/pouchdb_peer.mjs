// The peer sync server doing the same job, for bench/bench_push_http.py --pouchdb:
//   node bench/pouchdb_peer.mjs DOCS.json BATCH
// Installs pouchdb-server and pouchdb from the npm registry into a temporary folder OUTSIDE the repository
// (FIELDAPP_POUCHDB_DIR, default $TMPDIR/fieldapp-pouchdb-bench, reused between runs), starts pouchdb-server
// (leveldb) on a free loopback port, then times (1) `_bulk_docs` of the docs in batches of BATCH over HTTP and
// (2) PouchDB replication of the same docs from a local leveldb database to a fresh server database.
// Prints one JSON line: {"docs", "bulk_docs_seconds", "replicate_seconds"}.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [docsFile, batchText] = process.argv.slice(2);
const batch = Number(batchText || 100);
const home = process.env.FIELDAPP_POUCHDB_DIR || join(tmpdir(), "fieldapp-pouchdb-bench");
mkdirSync(home, { recursive: true });
if (!existsSync(join(home, "node_modules", "pouchdb-server")) || !existsSync(join(home, "node_modules", "pouchdb"))) {
  execFileSync("npm", ["init", "-y"], { cwd: home, stdio: "ignore" });
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "pouchdb-server", "pouchdb"], { cwd: home,
    stdio: ["ignore", "ignore", "inherit"] });
}
const require = createRequire(join(home, "package.json"));
const PouchDB = require("pouchdb");

const freePort = () => new Promise((resolve) => {
  const probe = createServer().listen(0, "127.0.0.1", () => { const { port } = probe.address(); probe.close(() => resolve(port)); });
});

const docs = JSON.parse(readFileSync(docsFile, "utf8"));
const data = mkdtempSync(join(tmpdir(), "pouchdb-data-"));
const port = await freePort();
const server = spawn(process.execPath, [join(home, "node_modules", "pouchdb-server", "bin", "pouchdb-server"),
  "--host", "127.0.0.1", "--port", String(port), "--dir", data, "--no-stdout-logs"], { stdio: "ignore", cwd: data });  // its log.txt and config.json stay out of the repository
const base = `http://127.0.0.1:${port}`;
try {
  for (let tries = 0; ; tries++) {
    try { if ((await fetch(base)).ok) break; } catch { /* not listening yet */ }
    if (tries > 300) throw new Error("pouchdb-server did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  await fetch(`${base}/bulk`, { method: "PUT" });
  let began = performance.now();
  for (let start = 0; start < docs.length; start += batch) {
    const response = await fetch(`${base}/bulk/_bulk_docs`, { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ docs: docs.slice(start, start + batch) }) });
    if (response.status !== 201) throw new Error(`_bulk_docs answered ${response.status}`);
    await response.json();
  }
  const bulkSeconds = (performance.now() - began) / 1000;

  const local = new PouchDB(join(data, "local-device"));  // the device's database, filled before timing
  for (let start = 0; start < docs.length; start += batch) await local.bulkDocs(docs.slice(start, start + batch));
  began = performance.now();
  const outcome = await PouchDB.replicate(local, `${base}/replica`, { batch_size: batch });
  const replicateSeconds = (performance.now() - began) / 1000;
  if (outcome.docs_written !== docs.length) throw new Error(`replicated ${outcome.docs_written} of ${docs.length}`);
  await local.close();
  console.log(JSON.stringify({ docs: docs.length, bulk_docs_seconds: bulkSeconds, replicate_seconds: replicateSeconds }));
} finally {
  server.kill();
  rmSync(data, { recursive: true, force: true });
}
