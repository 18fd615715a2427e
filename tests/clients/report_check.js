'use strict';
/*
 * Opens a report written by `spoor report` in Debian's Chromium and checks
 * it against `spoor stats --json` of the same state.
 *
 *   node report_check.js REPORT.html STATS.json SCREENSHOT.png
 *
 * (playwright-core from the clients' install: NODE_PATH=build/clients/
 * node_modules; Chromium at SPOOR_CHROMIUM, default /usr/bin/chromium.)
 *
 * The page is opened from file:// with JavaScript disabled, headless.
 * Fails (a FAIL line each, exit 1) when:
 *   - the page asks for anything but itself (every request is recorded;
 *     the browser's proxy is a closed port on 127.0.0.1, so nothing
 *     leaves the machine either way), or holds a <script>;
 *   - a console error or a page error shows;
 *   - a section of docs/report.md ("Checking a report") is missing or not
 *     visible;
 *   - a table[data-figure] differs from the figures: every figure of
 *     STATS.json that has a table is rebuilt here from the document, as
 *     docs/report.md says, and compared cell by cell (numbers by their
 *     exact text, data-n; names as the page must show them: control
 *     characters as U+FFFD, cut at 200 characters with "…"); a table the
 *     document does not call for, or one it calls for that is missing,
 *     fails too;
 *   - the page does not render in the dark scheme (its background must
 *     turn dark), or printed (every section must start a page).
 * Writes a full-page screenshot to SCREENSHOT.png and the dark one to
 * SCREENSHOT-dark.png (same name, "-dark" before ".png").
 *
 * Numbers are compared exactly: STATS.json is parsed with the source text
 * of each number (JSON.parse with source, V8's flag
 * --harmony-json-parse-with-source; the check fails when this node lacks
 * it).  JavaScript objects do not keep the order of integer-like keys, so
 * the rows of a table drawn from an object are compared as a set, and
 * columns drawn from keys are matched by their header; rows drawn from
 * arrays are compared in order.
 */
const fs = require('fs');
const path = require('path');
const v8 = require('v8');
const { pathToFileURL } = require('url');
const { chromium } = require('playwright-core');

const SECTIONS = ['overview', 'segments', 'lifecycle', 'rfm', 'events',
                  'consent', 'top', 'identity', 'quality'];
const NAME_MAX = 200;
const DASH = '\u2013';
const DEADLINE_MS = 120000;

let failures = 0;
function fail(msg) {
  failures++;
  console.error(`FAIL: ${msg}`);
}

/* ---- the document, numbers exact --------------------------------------- */

class Num {
  constructor(src) { this.src = src; }
}

function parseExact(text) {
  v8.setFlagsFromString('--harmony-json-parse-with-source');
  let ok = false;
  try {
    ok = JSON.parse('12345678901234567890', (k, v, c) => c && c.source) === '12345678901234567890';
  } catch (e) { ok = false; }
  if (!ok) throw new Error(`node ${process.version} cannot parse JSON with the source of numbers (--harmony-json-parse-with-source)`);
  return JSON.parse(text, (k, v, c) => (typeof v === 'number' ? new Num(c.source) : v));
}

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Num);
const nonEmptyObj = (v) => isObj(v) && Object.keys(v).length > 0;
const nonEmptyArr = (v) => Array.isArray(v) && v.length > 0;
const isIntText = (s) => /^[0-9]+$/.test(s);

/* A name as the page shows it. */
function clean(s) {
  const cps = Array.from(s).map((c) => {
    const u = c.codePointAt(0);
    if (u < 0x20 || u === 0x7f || (u >= 0x80 && u <= 0x9f)) return '\ufffd';
    if (u >= 0xd800 && u <= 0xdfff) return '\ufffd';
    return c;
  });
  return cps.length > NAME_MAX ? cps.slice(0, NAME_MAX).join('') + '\u2026' : cps.join('');
}

// cells: "n:TEXT" for a number (data-n), "t:TEXT" for text
const N = (v) => (v instanceof Num ? `n:${v.src}` : `t:${DASH}`);
const T = (v) => (typeof v === 'string' ? `t:${clean(v)}` : `t:${DASH}`);
const L = (s) => `t:${s}`;

/* An exact sum of integer Nums: "n:SUM", or "t:–" when there is none or a
 * term is not an integer. */
function sum(values) {
  let s = 0n;
  let any = false;
  for (const v of values) {
    if (!(v instanceof Num)) continue;
    if (!isIntText(v.src)) return `t:${DASH}`;
    s += BigInt(v.src);
    any = true;
  }
  return any ? `n:${s}` : `t:${DASH}`;
}

const member = (o, k) => (isObj(o) && Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);

/* ---- what each table must hold ----------------------------------------- */
/*
 * expected(doc) -> Map figure -> { rows: [[cell...]...], ordered,
 * columns?: {fixed, keys: Map(shownName -> rawKey), cell(row, rawKey)},
 * error? }.  A figure whose member is missing, empty or of another type
 * has no table.
 */
function counts(obj) {
  if (!nonEmptyObj(obj)) return null;
  return { ordered: false, rows: Object.entries(obj).map(([k, v]) => [T(k), N(v)]) };
}

/* Columns named by the keys of objects inside the elements of arr. */
function keyColumns(elements, getObj) {
  const keys = new Map();
  for (const e of elements) {
    const o = getObj(e);
    if (!isObj(o)) continue;
    for (const k of Object.keys(o)) if (!keys.has(clean(k))) keys.set(clean(k), k);
  }
  return keys;
}

function expected(doc) {
  const want = new Map();
  const put = (fig, t) => { if (t) want.set(fig, t); };

  // overview
  const ev = nonEmptyObj(doc.events) ? doc.events : null;
  if (doc.generation instanceof Num || typeof doc.asOf === 'string' || doc.profiles instanceof Num || ev) {
    put('overview', { ordered: true, rows: [
      [L('generation'), N(doc.generation)],
      [L('asOf'), T(doc.asOf)],
      [L('profiles'), N(doc.profiles)],
      [L('events'), ev ? sum(Object.values(ev)) : `t:${DASH}`],
    ] });
  }
  for (const f of ['segments', 'lifecycle', 'events', 'consentActions', 'consentSignals',
                   'topCountries', 'topCategories', 'identity']) {
    put(f, counts(doc[f]));
  }

  // history: generation, time, profiles, then one column per segment
  if (nonEmptyArr(doc.history)) {
    const keys = keyColumns(doc.history, (p) => member(p, 'segments'));
    put('history', {
      ordered: true,
      fixed: 3,
      keys,
      rows: doc.history.map((p) => [N(member(p, 'generation')), T(member(p, 'time')), N(member(p, 'profiles'))]),
      cell: (i, k) => N(member(member(doc.history[i], 'segments'), k)),
    });
  }

  // rfm
  const rfm = doc.rfm;
  if (member(rfm, 'withOrders') instanceof Num) {
    put('rfm', { ordered: true, rows: [[L('withOrders'), N(rfm.withOrders)]] });
  }
  const grid = member(rfm, 'grid');
  if (nonEmptyArr(grid)) {
    const nc = Math.max(0, ...grid.map((r) => (Array.isArray(r) ? r.length : 0)));
    put('rfm.grid', { ordered: true, rows: grid.map((r, i) => [L(`R${i + 1}`),
      ...Array.from({ length: nc }, (_, k) => N(Array.isArray(r) ? r[k] : undefined))]) });
  }
  const mon = member(rfm, 'monetary');
  if (nonEmptyArr(mon)) {
    put('rfm.monetary', { ordered: true, rows: mon.map((v, i) => [L(`M${i + 1}`), N(v)]) });
  }

  // daily: one column per event type; names summed over the days
  if (nonEmptyArr(doc.daily)) {
    const keys = keyColumns(doc.daily, (d) => member(d, 'events'));
    put('daily', {
      ordered: true,
      fixed: 1,
      keys,
      rows: doc.daily.map((d) => [T(member(d, 'day'))]),
      cell: (i, k) => N(member(member(doc.daily[i], 'events'), k)),
    });
    const byName = new Map();
    for (const d of doc.daily) {
      const names = member(d, 'names');
      if (!isObj(names)) continue;
      for (const [k, v] of Object.entries(names)) {
        if (!byName.has(k)) byName.set(k, []);
        byName.get(k).push(v);
      }
    }
    if (byName.size) {
      const rows = [...byName.entries()].map(([k, vs]) => ({ k, s: sum(vs) }));
      const exact = rows.every((r) => r.s.startsWith('n:'));
      if (exact) {
        rows.sort((a, b) => {
          const x = BigInt(a.s.slice(2));
          const y = BigInt(b.s.slice(2));
          if (x !== y) return x > y ? -1 : 1;
          return Buffer.compare(Buffer.from(a.k), Buffer.from(b.k));
        });
      }
      put('daily.names', { ordered: exact, rows: rows.map((r) => [T(r.k), r.s]) });
    }
  }

  // consent
  if (nonEmptyArr(doc.consentByCountry)) {
    put('consentByCountry', { ordered: true, rows: doc.consentByCountry.map((o) =>
      [T(member(o, 'signal')), T(member(o, 'action')), T(member(o, 'country')), N(member(o, 'events'))]) });
  }
  if (nonEmptyArr(doc.consentDaily)) {
    const outs = (d) => (Array.isArray(member(d, 'outcomes')) ? member(d, 'outcomes') : []);
    const keys = new Map();
    for (const d of doc.consentDaily) {
      for (const o of outs(d)) {
        const a = member(o, 'action');
        if (typeof a === 'string' && !keys.has(clean(a))) keys.set(clean(a), a);
      }
    }
    put('consentDaily', {
      ordered: true,
      fixed: 1,
      keys,
      rows: doc.consentDaily.map((d) => [T(member(d, 'day'))]),
      cell: (i, a) => sum(outs(doc.consentDaily[i]).filter((o) => member(o, 'action') === a).map((o) => member(o, 'events'))),
    });
  }

  // top lists
  for (const l of ['pages', 'referrers', 'campaigns', 'countries', 'browsers', 'devices']) {
    const list = member(doc.top, l);
    const items = member(list, 'items');
    if (!nonEmptyArr(items)) continue;
    const e = member(list, 'error');
    put(`top.${l}`, {
      ordered: true,
      error: e instanceof Num ? e.src : null,
      rows: items.map((it) => (Array.isArray(it) && it.length >= 2 ? [T(it[0]), N(it[1])] : [`t:${DASH}`, `t:${DASH}`])),
    });
  }

  // quality and logs
  if (nonEmptyObj(doc.quality)) {
    put('quality', { ordered: false, rows: Object.entries(doc.quality).filter(([, v]) => v instanceof Num).map(([k, v]) => [T(k), N(v)]) });
    put('quality.skipped', counts(doc.quality.skipped));
  }
  if (nonEmptyArr(doc.logs)) {
    const yn = (v) => L(v === true ? 'yes' : v === false ? 'no' : DASH);
    const nums = ['frames', 'records', 'bytes', 'framesLost', 'recordsLost', 'bytesSkipped',
                  'undecodableRecords', 'framesWithoutMetadata'];
    put('logs', { ordered: true, rows: doc.logs.map((l) => [T(member(l, 'file')),
      ...nums.map((k) => N(member(l, k))), yn(member(l, 'truncated')), yn(member(l, 'ok')),
      T(member(l, 'error'))]) });
    const damage = [];
    const writers = [];
    for (const l of doc.logs) {
      for (const d of Array.isArray(member(l, 'damage')) ? l.damage : []) {
        damage.push([T(member(l, 'file')), T(member(d, 'kind')),
          ...['offset', 'bytes', 'seq', 'recordsLost'].map((k) => N(member(d, k))),
          T(member(d, 'writer')), T(member(d, 'detail'))]);
      }
      for (const w of Array.isArray(member(l, 'writers')) ? l.writers : []) {
        writers.push([T(member(l, 'file')), T(member(w, 'writer')), T(member(w, 'host')),
          ...['pid', 'frames', 'seqFirst', 'seqLast', 'missing', 'repeated'].map((k) => N(member(w, k)))]);
      }
    }
    // these two tables are written whenever "logs" has logs, rows or not
    put('logs.damage', { ordered: true, rows: damage });
    put('logs.writers', { ordered: true, rows: writers });
  }
  return want;
}

/* ---- comparing ---------------------------------------------------------- */

const show = (c) => JSON.stringify(c.length > 60 ? `${c.slice(0, 60)}...` : c);

function compareRows(fig, got, want, ordered) {
  if (got.length !== want.length) {
    fail(`table ${fig}: ${got.length} rows, the figures have ${want.length}`);
  }
  const key = (r) => JSON.stringify(r);
  const g = ordered ? got : [...got].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const w = ordered ? want : [...want].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  for (let i = 0; i < Math.min(g.length, w.length); i++) {
    if (g[i].length !== w[i].length) {
      fail(`table ${fig} row ${i + 1} (${show(g[i][0] || '')}): ${g[i].length} cells, expected ${w[i].length}`);
      return;
    }
    for (let j = 0; j < w[i].length; j++) {
      if (g[i][j] !== w[i][j]) {
        fail(`table ${fig} row ${i + 1} (${show(g[i][0])}) cell ${j + 1}: ${show(g[i][j])}, expected ${show(w[i][j])}`);
        return;
      }
    }
  }
}

function compareTable(fig, table, want) {
  if ('error' in want && table.error !== want.error) {
    fail(`table ${fig}: data-error ${table.error}, expected ${want.error}`);
  }
  if (!want.keys) {
    compareRows(fig, table.rows, want.rows, want.ordered);
    return;
  }
  // columns from keys: match them by their header
  const head = table.head.slice(want.fixed);
  const shown = [...want.keys.keys()];
  const sorted = (a) => [...a].sort();
  if (JSON.stringify(sorted(head)) !== JSON.stringify(sorted(shown))) {
    fail(`table ${fig}: columns ${JSON.stringify(head).slice(0, 300)}, the figures have ${JSON.stringify(shown).slice(0, 300)}`);
    return;
  }
  const rows = want.rows.map((r, i) => [...r, ...head.map((h) => want.cell(i, want.keys.get(h)))]);
  compareRows(fig, table.rows, rows, true);
}

/* ---- the browser --------------------------------------------------------- */

async function openPage(browser, url, scheme, seen) {
  const context = await browser.newContext({ javaScriptEnabled: false, colorScheme: scheme,
                                             viewport: { width: 1100, height: 900 } });
  context.setDefaultTimeout(30000);
  context.on('request', (r) => seen.requests.push(r.url()));
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') seen.console.push(m.text()); });
  page.on('pageerror', (e) => seen.errors.push(String(e && e.message || e)));
  await page.goto(url, { waitUntil: 'load' });
  return { context, page };
}

async function main() {
  const [reportPath, statsPath, shot] = process.argv.slice(2);
  if (!reportPath || !statsPath || !shot) {
    console.error('usage: node report_check.js REPORT.html STATS.json SCREENSHOT.png');
    process.exit(2);
  }
  const doc = parseExact(fs.readFileSync(statsPath, 'utf8').trim());
  if (!isObj(doc)) throw new Error(`${statsPath}: not a JSON object`);
  const url = pathToFileURL(path.resolve(reportPath)).href;
  const chromiumPath = process.env.SPOOR_CHROMIUM || '/usr/bin/chromium';

  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    timeout: 30000,
    // root in a container: no sandbox.  A proxy on a closed port: nothing
    // the page (or the browser) asks for can leave the machine.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-background-networking',
           '--disable-component-update', '--proxy-server=http://127.0.0.1:9',
           '--proxy-bypass-list=<-loopback>'],
  });
  try {
    const seen = { requests: [], console: [], errors: [] };
    const { context, page } = await openPage(browser, url, 'light', seen);

    if (await page.locator('script').count()) fail('the page holds a <script> element');
    for (const id of SECTIONS) {
      const s = page.locator(`section#${id}`);
      if (await s.count() !== 1) fail(`section #${id}: ${await s.count()} on the page, expected 1`);
      else if (!(await s.isVisible())) fail(`section #${id} is not visible`);
      else if (await s.locator('h2').count() !== 1) fail(`section #${id} has no <h2>`);
    }

    const tables = await page.$$eval('table[data-figure]', (ts) => ts.map((t) => ({
      figure: t.getAttribute('data-figure'),
      error: t.getAttribute('data-error'),
      head: t.tHead ? [...t.tHead.rows[0].cells].map((c) => c.textContent) : [],
      rows: [...(t.tBodies[0] ? t.tBodies[0].rows : [])].map((r) => [...r.cells].map((c) =>
        (c.hasAttribute('data-n') ? `n:${c.getAttribute('data-n')}` : `t:${c.textContent}`))),
    })));
    const want = expected(doc);
    const found = new Set();
    for (const t of tables) {
      if (found.has(t.figure)) { fail(`table ${t.figure} appears twice`); continue; }
      found.add(t.figure);
      if (!want.has(t.figure)) { fail(`table ${t.figure}: the figures have nothing for it`); continue; }
      compareTable(t.figure, t, want.get(t.figure));
    }
    for (const fig of want.keys()) if (!found.has(fig)) fail(`table ${fig}: missing (the figures have it)`);
    console.error(`report_check: ${tables.length} tables compared with ${statsPath} (${[...found].join(' ')})`);

    await page.screenshot({ path: shot, fullPage: true });
    const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);

    // printed: every section starts a page (the first excepted), nothing hidden
    await page.emulateMedia({ media: 'print' });
    const breaks = await page.$$eval('section', (ss) => ss.map((s) => getComputedStyle(s).breakBefore));
    if (breaks.slice(1).some((b) => b !== 'page')) fail(`printed: sections do not start a page (${breaks.join(' ')})`);
    for (const id of SECTIONS) {
      if (!(await page.locator(`section#${id}`).isVisible())) fail(`printed: section #${id} is not visible`);
    }
    await context.close();

    // the dark scheme
    const dark = await openPage(browser, url, 'dark', seen);
    const bg = await dark.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const rgb = (bg.match(/\d+/g) || []).map(Number);
    if (rgb.length < 3 || rgb[0] + rgb[1] + rgb[2] > 3 * 96) fail(`dark scheme: the background is ${bg}, not dark`);
    if (bg === light) fail(`dark scheme: the background is the light one (${bg})`);
    for (const id of SECTIONS) {
      if (!(await dark.page.locator(`section#${id}`).isVisible())) fail(`dark scheme: section #${id} is not visible`);
    }
    await dark.page.screenshot({ path: shot.replace(/(\.png)?$/, '-dark.png'), fullPage: true });
    await dark.context.close();

    const others = seen.requests.filter((r) => r !== url);
    if (others.length) fail(`the page asked for ${others.length} thing(s) besides itself: ${others.slice(0, 10).join(' ')}`);
    for (const m of seen.console) fail(`console error: ${m}`);
    for (const e of seen.errors) fail(`page error: ${e}`);
  } finally {
    await browser.close().catch(() => {});
  }
  if (failures) {
    console.error(`report_check: ${failures} check(s) failed`);
    process.exit(1);
  }
  console.error(`report_check: ok (${shot})`);
}

setTimeout(() => { console.error(`FAIL: report_check: not done in ${DEADLINE_MS} ms`); process.exit(1); }, DEADLINE_MS).unref();
main().catch((e) => { console.error(`FAIL: report_check: ${e && e.stack || e}`); process.exit(1); });
