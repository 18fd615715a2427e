'use strict';
/*
 * Compares the log with what the clients did (driver.js's evidence), one
 * scenario after the other, then makes sure the log holds no record that
 * no scenario accounts for.
 *
 *   node check.js RUN.json RECORDS.jsonl ACCESS.log
 *
 * RECORDS.jsonl is `spoor cat` of the log after nginx quit (so everything
 * buffered was written); ACCESS.log the collector's access log in the
 * `clients` format of clients.sh: METHOD URI STATUS origin=.. acrh=..
 * Each scenario's check(c) gets
 *   c.evidence       what its run() saved (requests with bodies and answers)
 *   c.take(pred)     the records matching pred that no scenario claimed
 *                    before, claimed for this one
 *   c.access         the access log, one parsed line per request
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
const access = fs.readFileSync(accessFile, 'utf8').split('\n').filter((l) => l.length).map((l) => {
  const m = /^(\S+) (\S+) (\d+) origin=(\S*) acrh=(.*)$/.exec(l);
  return m ? { method: m[1], uri: m[2], status: Number(m[3]), origin: m[4] === '-' ? null : m[4],
               acrh: m[5] === '-' ? null : m[5] } : { raw: l };
});
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
  Object.assign(c, {
    evidence, access, urls: run.urls, run,
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
