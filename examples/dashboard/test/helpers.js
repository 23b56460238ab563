'use strict';
// Shared by the tests: tokens, HTTP calls to the server, and the database as
// the superuser (the suite's environment: PGHOST, PGPORT, PGUSER, PGPASSWORD).
const { Client } = require('pg');
const crypto = require('node:crypto');
const { sign } = require('../jwt');

const URL_BASE = process.env.DASHBOARD_URL;
const SECRET = process.env.JWT_SECRET;
const md5uuid = (s) => {
  const h = crypto.createHash('md5').update(s).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};
const ADMIN = md5uuid('admin-1');
const now = () => Math.floor(Date.now() / 1000);
const token = (claims = {}) => sign({ sub: ADMIN, role: 'authenticated', exp: now() + 3600, ...claims }, SECRET);

async function call(method, path, { auth = token(), body, raw, headers = {} } = {}) {
  const h = { ...headers };
  if (auth) h.Authorization = `Bearer ${auth}`;
  if (body !== undefined) h['Content-Type'] = h['Content-Type'] || 'application/json';
  const res = await fetch(URL_BASE + path, {
    method, headers: h, body: raw !== undefined ? raw : body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { json = null; }
  return { status: res.status, json, text, headers: res.headers };
}

async function db() {
  const c = new Client({ database: process.env.DASHBOARD_DB });
  await c.connect();
  return c;
}

// rows of the pair now, as the superuser sees them
async function total(c, client, trainer) {
  const r = await c.query('SELECT total FROM ct_cleanup_preview($1, $2)', [client, trainer]);
  return r.rows[0].total;
}

module.exports = { URL_BASE, SECRET, ADMIN, md5uuid, now, token, call, db, total };
