'use strict';
/*
 * Compares the log with what the clients did (driver.js's evidence), one
 * scenario after the other, then makes sure the log holds no record that
 * no scenario accounts for.
 *
 *   node check.js RUN.json RECORDS.jsonl ACCESS.log
 *
 * RECORDS.jsonl is `spoor cat` of the log after nginx quit (so everything
 * buffered was written); ACCESS.log the servers' access log in the JSON
 * `clients` format of clients.sh (method, uri, status, origin, acrh,
 * content type and encoding, body).  A request whose body the browser did
 * not show (a sendBeacon Blob) gets the body the server received.
 * Each scenario's check(c) gets
 *   c.evidence       what its run() saved (requests with bodies and answers)
 *   c.take(pred)     the records matching pred that no scenario claimed
 *                    before, claimed for this one
 *   c.access         the access log during the scenario's run, one parsed
 *                    line per request
 *   c.ok/eq/fields/note, c.urls, c.run
 * Exit status 1 when any check failed.
 */
const fs = require('fs');
const path = require('path');
const { loadScenarios } = require('./lib/scenarios');
const { Checks } = require('./lib/expect');

const [runFile, recordsFile, accessFile] = process.argv.slice(2);
const run = JSON.parse(fs.readFileSync(runFile, 'utf8'));
const lines = fs.readFileSync(recordsFile, 'utf8').split('\n').filter((l) => l.length);
const records = lines.map((l, i) => {
  try { return JSON.parse(l); } catch (e) { throw new Error(`${recordsFile}:${i + 1} is not JSON: ${l}`); }
});
const access = fs.readFileSync(accessFile, 'utf8').split('\n').filter((l) => l.length).map((l, i) => {
  try { return JSON.parse(l); } catch (e) { throw new Error(`${accessFile}:${i + 1} is not JSON: ${l}`); }
});

// the body the server received for a request the browser showed none of
function fillBodies(requests) {
  const used = new Set();
  for (const r of requests || []) {
    if (r.method !== 'POST' || (r.body !== null && r.body !== undefined)) continue;
    const u = new URL(r.url);
    const a = access.find((x) => !used.has(x) && x.method === 'POST' && x.uri === u.pathname + u.search);
    if (a) { used.add(a); r.body = a.body; r.bodyFrom = 'server'; }
  }
}
const claimed = new Set();
let failures = 0;

for (const s of loadScenarios(run.scenarios)) {
  const c = new Checks(s.name);
  const file = path.join(run.out, `${s.slug}.json`);
  let evidence = null;
  try { evidence = JSON.parse(fs.readFileSync(file, 'utf8')); } catch (e) { /* reported below */ }
  if (!c.ok('the driver ran the client', evidence && evidence.ok,
            evidence ? evidence.error : `no evidence in ${file}`)) {
    failures += c.failures;
    continue;
  }
  fillBodies(evidence.requests);
  const during = access.filter((a) => a.msec * 1000 >= evidence.startedAt - 1
                                    && a.msec * 1000 <= evidence.finishedAt + 1);
  Object.assign(c, {
    evidence, access: during, urls: run.urls, run,
    take(pred) {
      const got = records.filter((r) => !claimed.has(r) && pred(r));
      for (const r of got) claimed.add(r);
      return got;
    },
  });
  try {
    s.check(c);
  } catch (e) {
    c.fail('the check itself threw', e && e.stack || e);
  }
  failures += c.failures;
}

const c = new Checks('log');
const stray = records.filter((r) => !claimed.has(r));
c.ok(`every one of the ${records.length} records belongs to a scenario`, stray.length === 0,
     stray.map((r) => JSON.stringify(r)).join('\n'));
failures += c.failures;

if (failures) {
  console.error(`check: ${failures} check(s) failed`);
  process.exit(1);
}
console.error('check: all checks passed');
