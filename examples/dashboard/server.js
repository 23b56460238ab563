'use strict';
// The reference Data Cleanup page of ct_cleanup (CONTRACT §11): a small
// HTTP server (node:http) that serves the page from public/ and its JSON API,
// and calls the extension through node-postgres the way PostgREST does: it
// logs in as one login role (the libpq environment variables), and runs each
// API request in one transaction with SET LOCAL ROLE to the JWT's role and
// set_config('request.jwt.claims', <claims>, true), so that admin_check and
// actor_id settings such as app.is_admin() and auth.uid() work unchanged.
//
// Environment: HOST (127.0.0.1), PORT (8080), JWT_SECRET (HS256, at least 32
// characters), CT_CLEANUP_SCHEMA (the extension's schema, public), and
// PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD.

const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const { Pool } = require('pg');
const { verifyToken } = require('./jwt');

const HOST = process.env.HOST || '127.0.0.1';
const PORT = Number(process.env.PORT || 8080);
const SECRET = process.env.JWT_SECRET || '';
const SCHEMA = process.env.CT_CLEANUP_SCHEMA || 'public';
const MAX_BODY = 16 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLE = /^[a-z_][a-z0-9_]{0,62}$/;

if (SECRET.length < 32) {
  console.error('dashboard: JWT_SECRET must be set, at least 32 characters');
  process.exit(2);
}

const pool = new Pool({
  max: 4,
  application_name: 'ct_cleanup dashboard',
  idleTimeoutMillis: Number(process.env.DASHBOARD_IDLE_MS || 10000),
  connectionTimeoutMillis: 10000,		// a request waits at most 10 s for a connection
  statement_timeout: 60000,			// and no statement runs longer than a minute
});
pool.on('error', (err) => console.error(`dashboard: idle connection failed: ${err.message}`));

function ident(name) {
  return '"' + String(name).replace(/"/g, '""') + '"';
}
const fn = (name) => `${ident(SCHEMA)}.${ident(name)}`;

// HTTP status of a PostgreSQL error (CONTRACT §11).
function statusOf(sqlstate) {
  switch (sqlstate) {
    case '42501': return 403;
    case '22004': case '22023': case '22P02': case '22021': return 400;
    case 'P0002': return 404;
    case 'UC001': return 409;
    case '55P03': return 503;
    case '54000': return 422;
    default: return 500;
  }
}

class ApiError extends Error {
  constructor(status, message, extra = {}) {
    super(message);
    this.status = status;
    this.extra = extra;
  }
}

const HEADERS = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

function send(res, status, body, type = 'application/json; charset=utf-8') {
  const data = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  res.writeHead(status, { ...HEADERS, 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(data);
}

// One transaction as the token's role, with its claims.
async function asUser(claims, work) {
  const client = await pool.connect();
  let released = false;
  try {
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL ROLE ${ident(claims.role)}`);
    } catch (err) {
      throw new ApiError(401, 'Unauthorized', { detail: `The token's role "${claims.role}" cannot be used.`, hint: 'Sign in again.' });
    }
    await client.query("SELECT pg_catalog.set_config('request.jwt.claims', $1, true)", [JSON.stringify(claims)]);
    // reads wait for locks no longer than a cleanup does (ct_cleanup.lock_timeout, 5 s)
    await client.query("SELECT pg_catalog.set_config('lock_timeout', '5s', true)");
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    let broken;
    await client.query('ROLLBACK').catch((e) => { broken = e; });
    client.release(broken || undefined);	// one that cannot roll back is not reused
    released = true;
    throw err;
  } finally {
    if (!released) client.release();
  }
}

function bearer(req) {
  const h = req.headers.authorization || '';
  const m = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(h);
  if (!m) throw new ApiError(401, 'Unauthorized', { detail: 'No bearer token.', hint: 'Open the page with #access_token=<JWT>.' });
  const claims = verifyToken(m[1], SECRET);
  if (!claims) throw new ApiError(401, 'Unauthorized', { detail: 'The token is invalid or expired.', hint: 'Sign in again.' });
  claims.role = claims.role === undefined ? 'authenticated' : claims.role;
  if (typeof claims.role !== 'string' || !ROLE.test(claims.role) || claims.role === 'none' ||
      claims.role === (process.env.PGUSER || '')) {
    throw new ApiError(401, 'Unauthorized', { detail: 'The token names no usable role.' });
  }
  if (claims.sub !== undefined && (typeof claims.sub !== 'string' || !UUID.test(claims.sub))) {
    throw new ApiError(401, 'Unauthorized', { detail: 'The token\'s subject is not a user id.' });
  }
  return claims;
}

function noNul(value, name) {
  if (typeof value === 'string' && value.includes('\u0000')) {
    throw new ApiError(400, `${name} contains a NUL character`, { sqlstate: '22021' });
  }
  return value;
}

function uuidParam(value, name) {
  if (typeof value !== 'string' || value === '') throw new ApiError(400, `${name} is required`, { sqlstate: '22004' });
  if (!UUID.test(value)) throw new ApiError(400, `${name} is not a uuid`, { sqlstate: '22P02' });
  return value.toLowerCase();
}

async function readJson(req) {
  const type = req.headers['content-type'] || '';
  if (!/^application\/json\b/i.test(type)) throw new ApiError(415, 'Expected Content-Type: application/json');
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw new ApiError(413, `Request body over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
    return body;
  } catch (e) {
    throw new ApiError(400, 'The request body is not a JSON object', { sqlstate: '22023' });
  }
}

// The routes of the API.
async function people(req, url) {
  const claims = bearer(req);
  const kind = url.searchParams.get('kind');
  if (kind !== 'client' && kind !== 'trainer') throw new ApiError(400, 'kind must be client or trainer', { sqlstate: '22023' });
  const search = noNul(url.searchParams.get('search'), 'search');
  if (search !== null && search.length > 200) throw new ApiError(400, 'search is too long', { sqlstate: '22023' });
  return asUser(claims, async (db) =>
    (await db.query(`SELECT id, name FROM ${fn('ct_cleanup_people')}($1, $2, 50)`, [kind, search || null])).rows);
}

async function preview(req, url) {
  const claims = bearer(req);
  const client = uuidParam(url.searchParams.get('client'), 'client');
  const trainer = uuidParam(url.searchParams.get('trainer'), 'trainer');
  return asUser(claims, async (db) =>
    (await db.query(`SELECT * FROM ${fn('ct_cleanup_preview')}($1, $2)`, [client, trainer])).rows[0]);
}

async function cleanup(req) {
  const claims = bearer(req);
  const body = await readJson(req);
  const client = uuidParam(body.client, 'client');
  const trainer = uuidParam(body.trainer, 'trainer');
  if (typeof body.reason !== 'string' || body.reason.trim() === '') throw new ApiError(400, 'reason is required', { sqlstate: '22004' });
  noNul(body.reason, 'reason');
  noNul(body.fingerprint, 'fingerprint');
  if (body.reason.length > 1000) throw new ApiError(400, 'reason is over 1000 characters', { sqlstate: '22023' });
  if (typeof body.fingerprint !== 'string' || body.fingerprint === '') throw new ApiError(400, 'fingerprint is required: preview first', { sqlstate: '22004' });
  try {
    return await asUser(claims, async (db) =>
      (await db.query(`SELECT * FROM ${fn('ct_cleanup')}($1, $2, $3, $4)`,
        [client, trainer, body.reason.trim(), body.fingerprint])).rows[0]);
  } catch (err) {
    if (err.code === 'UC001') {
      // what is there now, for the page to show and ask again
      err.preview = await asUser(claims, async (db) =>
        (await db.query(`SELECT * FROM ${fn('ct_cleanup_preview')}($1, $2)`, [client, trainer])).rows[0]).catch(() => undefined);
    }
    throw err;
  }
}

async function audit(req, url) {
  const claims = bearer(req);
  const raw = url.searchParams.get('limit') || '20';
  if (!/^[0-9]{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > 200) throw new ApiError(400, 'limit must be 1 to 200', { sqlstate: '22023' });
  return asUser(claims, async (db) => (await db.query(
    `SELECT id, performed_at, admin_role, actor_id, client_id, trainer_id, total, reason
       FROM ${ident(SCHEMA)}.ct_cleanup_audit ORDER BY id DESC LIMIT $1`, [Number(raw)])).rows);
}

const API = {
  'GET /api/people': people,
  'GET /api/preview': preview,
  'POST /api/cleanup': cleanup,
  'GET /api/audit': audit,
};

const STATIC = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/app.css': ['app.css', 'text/css; charset=utf-8'],
};

async function handle(req, res) {
  const started = process.hrtime.bigint();
  let status = 500;
  let sqlstate = '-';
  let url = { pathname: '(unparsable)' };
  try {
    try {
      url = new URL(req.url, 'http://localhost');
    } catch (e) {
      throw new ApiError(400, 'Malformed request URL');
    }
    const route = API[`${req.method} ${url.pathname}`];
    if (route) {
      const result = await route(req, url);
      status = 200;
      send(res, 200, result);
    } else if (url.pathname.startsWith('/api/')) {
      status = 404;
      send(res, 404, { error: 'No such API', sqlstate: null, detail: null, hint: null });
    } else if (req.method === 'GET' && STATIC[url.pathname]) {
      const [file, type] = STATIC[url.pathname];
      status = 200;
      send(res, 200, fs.readFileSync(path.join(__dirname, 'public', file)), type);
    } else {
      status = 404;
      send(res, 404, 'Not found', 'text/plain; charset=utf-8');
    }
  } catch (err) {
    let body;
    if (err instanceof ApiError) {
      status = err.status;
      sqlstate = err.extra.sqlstate || '-';
      body = { error: err.message, sqlstate: err.extra.sqlstate || null, detail: err.extra.detail || null, hint: err.extra.hint || null };
    } else if (err && typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code)) {
      status = statusOf(err.code);
      sqlstate = err.code;
      body = {
        error: status === 403 ? 'Unauthorized' : status === 500 ? 'Internal error' : err.message,
        sqlstate: err.code,
        detail: status === 403 ? err.message : status === 500 ? null : (err.detail || null),
        hint: status === 403 ? 'Ask a database administrator to make your account a ct_cleanup admin.' : status === 500 ? null : (err.hint || null),
      };
      if (status === 500) console.error(`dashboard: ${req.method} ${url.pathname}: ${err.code} ${err.message}`);
      if (err.preview) body.preview = err.preview;
    } else {
      status = 500;
      body = { error: 'Internal error', sqlstate: null, detail: null, hint: null };
      console.error(`dashboard: ${req.method} ${url.pathname}: ${err && err.message}`);
    }
    if (!res.headersSent) send(res, status, body);
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`${req.method} ${url.pathname} ${status} ${sqlstate} ${ms.toFixed(1)}ms`);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error(`dashboard: ${err && err.message}`);
    if (!res.headersSent) send(res, 500, { error: 'Internal error', sqlstate: null, detail: null, hint: null });
  });
});
server.listen(PORT, HOST, () => console.log(`dashboard: listening on http://${HOST}:${server.address().port}/`));

function stop() {
  server.close(() => pool.end().then(() => process.exit(0)));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
