'use strict';
/*
 * Checks with the output of tests/integration/lib.sh: one "ok: ..." or
 * "FAIL: ..." line each, a failure counted and the run going on, so that
 * one wrong field does not hide the others.  A failed comparison names
 * only the fields that differ, with what the log has and what it should.
 */
const assert = require('assert');
const util = require('util');

const show = (v) => (v === undefined ? 'absent' : JSON.stringify(v));

class Checks {
  constructor(prefix) {
    this.prefix = prefix ? `${prefix}: ` : '';
    this.failures = 0;
  }

  pass(what) {
    console.error(`ok: ${this.prefix}${what}`);
  }

  fail(what, detail) {
    this.failures++;
    const lines = detail ? `\n  ${String(detail).split('\n').join('\n  ')}` : '';
    console.error(`FAIL: ${this.prefix}${what}${lines}`);
  }

  note(what) {
    console.error(`note: ${this.prefix}${what}`);
  }

  // true when cond holds; detail explains a failure
  ok(what, cond, detail) {
    if (cond) this.pass(what); else this.fail(what, detail);
    return Boolean(cond);
  }

  // deep equality (JSON values: key order does not matter)
  eq(what, got, want) {
    if (util.isDeepStrictEqual(got, want)) {
      this.pass(what);
      return true;
    }
    this.fail(what, `got:      ${show(got)}\nexpected: ${show(want)}`);
    return false;
  }

  // field by field: `want` lists each field the record must have (undefined:
  // must be absent; a dotted name reaches into maps: 'context.library');
  // only the fields that differ are shown
  fields(what, rec, want) {
    const bad = [];
    for (const [k, v] of Object.entries(want)) {
      const got = k.split('.').reduce((o, p) => (o && typeof o === 'object' ? o[p] : undefined), rec);
      if (!util.isDeepStrictEqual(got, v)) bad.push(`${k}: got ${show(got)}, expected ${show(v)}`);
    }
    if (!rec) return this.ok(what, false, 'no record');
    return this.ok(`${what} (${Object.keys(want).join(', ')})`, bad.length === 0, bad.join('\n'));
  }
}

module.exports = { Checks, show, assert };
