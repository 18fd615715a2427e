'use strict';
/*
 * Runs the real tracking clients of the client suite against a collector
 * that tests/integration/clients.sh started, and writes down what each one
 * did, for check.js to compare with the log afterwards.
 *
 *   node driver.js RUN.json
 *
 * RUN.json (written by clients.sh):
 *   { "out": DIR,                       evidence goes to DIR/<scenario>.json
 *     "chromium": "/usr/bin/chromium",  Debian's Chromium
 *     "pageTimeoutMs": 20000,           the deadline of every page
 *     "urls": { NAME: URL, ... },       the servers, for the scenarios
 *     "scenarios": [ NAME, ... ] }      which ones, from scenarios/*.js
 *
 * One Chromium for the whole suite, headless, driven by playwright-core
 * through `executablePath` (no browser is downloaded).  Each browser
 * scenario gets its own context (its own cookies) and must finish within
 * its deadline; waits are on conditions (responses counted, promises of
 * the clients), never on the clock.  The browser reaches 127.0.0.1 only:
 * its proxy is a trap in this process that refuses every request for
 * another host, and a scenario whose pages asked for one fails, naming
 * it.  (Not Playwright's request interception: while it is on, Playwright
 * answers CORS preflights itself, allowing everything, and the
 * collector's answers to them would go untested.)  What Chromium itself
 * asks for (Debian builds it with Google API keys) is refused too and
 * only reported.  Node scenarios run the server-side SDKs in this
 * process.
 *
 * Exit status: 0 when every scenario ran, 1 otherwise (with a FAIL line
 * saying which and why).  A scenario that ran may still deliver wrong
 * events: that is check.js's business.
 */
const fs = require('fs');
const http = require('http');
const path = require('path');
const { chromium } = require('playwright-core');
const { loadScenarios, withDeadline } = require('./lib/scenarios');

const ALLOWED_HOST = '127.0.0.1';

/*
 * What one browser context saw: every request with its answer, the
 * requests for other hosts (aborted), page errors and console errors.
 * Bodies and headers are kept as sent, so the checks can compare the log
 * with what the client put on the wire.
 */
class Traffic {
  constructor() {
    this.requests = [];      // { method, url, headers, body, status, responseHeaders, failure }
    this.external = [];      // URLs of requests for another host (failed)
    this.pageErrors = [];
    this.consoleErrors = [];
    this.waiters = [];
  }

  attach(context) {
    const byRequest = new Map();
    context.on('request', (req) => {
      const u = new URL(req.url());
      if (/^(http|ws)s?:$/.test(u.protocol) && u.hostname !== ALLOWED_HOST) this.external.push(req.url());
      const entry = { method: req.method(), url: req.url(), headers: req.headers(),
                      body: req.postData(), status: null, responseHeaders: null,
                      failure: null, done: false };
      byRequest.set(req, entry);
      this.requests.push(entry);
    });
    const finish = async (req, failure) => {
      const entry = byRequest.get(req);
      if (!entry) return;
      if (failure) {
        entry.failure = failure;
      } else {
        try {
          const res = await req.response();
          if (res) {
            entry.status = res.status();
            entry.responseHeaders = await res.allHeaders();
          }
          entry.headers = await req.allHeaders();
        } catch (e) {
          entry.failure = `no response: ${e.message}`;
        }
      }
      entry.done = true;
      this.wake();
    };
    context.on('requestfinished', (req) => { finish(req, null); });
    context.on('requestfailed', (req) => { finish(req, (req.failure() || {}).errorText || 'failed'); });
  }

  attachPage(page) {
    page.on('pageerror', (e) => this.pageErrors.push(String(e && e.message || e)));
    page.on('console', (m) => { if (m.type() === 'error') this.consoleErrors.push(m.text()); });
  }

  wake() {
    for (const w of this.waiters.slice()) {
      if (w.cond()) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  // Finished requests (answered or failed) that match `pred`.
  done(pred) {
    return this.requests.filter((r) => r.done && pred(r));
  }

  // Resolves when cond() holds (checked after every finished request).
  until(cond) {
    if (cond()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ cond, resolve }));
  }

  // Resolves when at least n requests matching pred have finished.
  count(pred, n) {
    return this.until(() => this.done(pred).length >= n);
  }
}

/*
 * The browser's proxy: Chromium sends it every request that is not for a
 * loopback address (those go direct), and it refuses them all, keeping
 * what was asked for.
 */
function startTrapProxy() {
  const seen = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(403, { 'Content-Type': 'text/plain' });
    res.end('the client tests reach 127.0.0.1 only\n');
  });
  server.on('connect', (req, socket) => {
    seen.push(`CONNECT ${req.url}`);
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, ALLOWED_HOST, () => resolve({ server, seen, port: server.address().port }));
  });
}

async function main() {
  const run = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const scenarios = loadScenarios(run.scenarios);
  const browserNeeded = scenarios.some((s) => s.browser);
  let browser = null;
  let failed = 0;

  let trap = null;

  if (browserNeeded) {
    trap = await startTrapProxy();
    browser = await withDeadline(chromium.launch({
      executablePath: run.chromium,
      headless: true,
      // root in a container: no user namespaces for Chromium's sandbox.
      // The proxy takes whatever is not for a loopback address.
      args: ['--no-sandbox', '--disable-dev-shm-usage',
             '--disable-background-networking', '--disable-component-update',
             `--proxy-server=http://${ALLOWED_HOST}:${trap.port}`],
      timeout: run.pageTimeoutMs,
    }), run.pageTimeoutMs + 1000, `launching ${run.chromium}`);
    console.error(`driver: ${run.chromium} ${browser.version()}`);
  }

  for (const s of scenarios) {
    const started = Date.now();
    const evidence = { scenario: s.name, startedAt: started };
    let context = null;
    let traffic = null;
    try {
      const t = { urls: run.urls, evidence, pageTimeoutMs: run.pageTimeoutMs };
      if (s.browser) {
        context = await browser.newContext();
        context.setDefaultTimeout(run.pageTimeoutMs);
        context.setDefaultNavigationTimeout(run.pageTimeoutMs);
        traffic = new Traffic();
        await traffic.attach(context);
        context.on('page', (p) => traffic.attachPage(p));
        t.context = context;
        t.traffic = traffic;
        // a page: opened in this context, then within the deadline
        t.page = async (label, fn) => {
          const page = await context.newPage();
          try {
            return await withDeadline(fn(page), run.pageTimeoutMs, `${s.name}: page ${label}`);
          } finally {
            await page.close().catch(() => {});
          }
        };
      }
      await withDeadline(s.run(t), s.timeoutMs || 4 * run.pageTimeoutMs, s.name);
      if (traffic && traffic.external.length) {
        throw new Error(`the page asked for hosts other than ${ALLOWED_HOST} (refused): ${traffic.external.join(' ')}`);
      }
      if (traffic && traffic.pageErrors.length) {
        throw new Error(`errors thrown in the page: ${traffic.pageErrors.join(' | ')}`);
      }
      evidence.ok = true;
      console.error(`driver: ran ${s.name} (${Date.now() - started} ms)`);
    } catch (e) {
      failed++;
      evidence.ok = false;
      evidence.error = String(e && e.stack || e);
      console.error(`FAIL: ${s.name}: ${e && e.message || e}`);
      if (traffic) {
        for (const r of traffic.requests) {
          console.error(`  ${r.method} ${r.url} -> ${r.status === null ? r.failure || 'pending' : r.status}`);
        }
        for (const m of traffic.consoleErrors) console.error(`  console: ${m}`);
      }
    } finally {
      evidence.finishedAt = Date.now();
      if (traffic) {
        evidence.requests = traffic.requests.map(({ done, ...r }) => r);
        evidence.external = traffic.external;
        evidence.consoleErrors = traffic.consoleErrors;
      }
      if (context) await context.close().catch(() => {});
      fs.writeFileSync(path.join(run.out, `${s.slug}.json`), JSON.stringify(evidence, null, 1));
    }
  }

  if (browser) await browser.close().catch(() => {});
  if (trap) {
    trap.server.close();
    if (trap.seen.length) {
      console.error(`driver: refused what Chromium itself asked for: ${[...new Set(trap.seen.map((x) => x.split('?')[0]))].join(', ')}`);
    }
  }
  if (failed) {
    console.error(`driver: ${failed} of ${scenarios.length} scenario(s) failed to run`);
    process.exit(1);
  }
}

main().catch((e) => { console.error(`FAIL: driver: ${e && e.stack || e}`); process.exit(1); });
