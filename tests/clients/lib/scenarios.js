'use strict';
/*
 * The client scenarios: tests/clients/scenarios/<client>.js each export an
 * array of scenarios
 *
 *   { name,            unique, shown in every ok/FAIL line
 *     browser: bool,   runs in a context of the suite's one Chromium
 *     run(t),          drives the client (driver.js); whatever it puts in
 *                      t.evidence is saved for check(), with the traffic
 *     check(c) }       compares the log with the evidence (check.js)
 *
 * Adding a client = its package in package.json (and the lock), its page
 * in pages/ if it runs in a browser, and one file here.
 */
const fs = require('fs');
const path = require('path');

const DIR = path.join(__dirname, '..', 'scenarios');

function slug(name) {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

// Every scenario of every file, or those named (a name unknown is an error).
function loadScenarios(names) {
  const all = [];
  for (const f of fs.readdirSync(DIR).filter((n) => n.endsWith('.js')).sort()) {
    for (const s of require(path.join(DIR, f))) {
      all.push({ ...s, file: f, slug: slug(s.name) });
    }
  }
  if (!names || !names.length) return all;
  return names.map((n) => {
    const s = all.find((x) => x.name === n || x.slug === n);
    if (!s) throw new Error(`no scenario named ${n} in ${DIR}`);
    return s;
  });
}

// Rejects with "WHAT: no result within MS ms" unless promise settles first.
function withDeadline(promise, ms, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

module.exports = { loadScenarios, withDeadline, slug };
