'use strict';
// The JSON API of CONTRACT §11 with a plain HTTP client: every status code,
// the input checks, the headers, the tokens.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { ADMIN, md5uuid, now, token, call, db, total, SECRET } = require('./helpers');

const c5 = md5uuid('client-5');
const t2 = md5uuid('trainer-2');
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');

test('the page and its headers', async () => {
  const r = await call('GET', '/', { auth: null });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-security-policy'), /default-src 'self'/);
  assert.doesNotMatch(r.headers.get('content-security-policy'), /unsafe-inline/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
  assert.doesNotMatch(r.text, /<script>[^<]/, 'no inline script');
  const api = await call('GET', '/api/audit?limit=1');
  assert.equal(api.status, 200);
  assert.equal(api.headers.get('x-content-type-options'), 'nosniff');
});

test('401: no token, a bad signature, an expired token, alg none, another algorithm, a bad role', async () => {
  const good = token();
  const [h, p] = good.split('.');
  const forged = `${h}.${b64({ sub: ADMIN, role: 'authenticated', exp: now() + 3600, admin: true })}.${good.split('.')[2]}`;
  const none = `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`;
  const hs512 = (() => {
    const head = b64({ alg: 'HS512', typ: 'JWT' });
    const mac = crypto.createHmac('sha512', SECRET).update(`${head}.${p}`).digest('base64url');
    return `${head}.${p}.${mac}`;
  })();
  const cases = {
    'no token': null,
    'garbage': 'not.a.token',
    'bad signature': forged,
    'expired': token({ exp: now() - 10 }),
    'alg none': none,
    'HS512': hs512,
    'role with quotes': token({ role: 'x"; DROP TABLE app.messages; --' }),
    'role that does not exist': token({ role: 'no_such_role' }),
    'role the server may not use': token({ role: 'postgres' }),
    'role none (RESET ROLE)': token({ role: 'none' }),
    'the login role itself': token({ role: 'authenticator' }),
    'a subject that is not a user id': token({ sub: 'x' }),
    'a changed last character of the signature': (() => {
      const t = token();
      const last = t[t.length - 1];
      return t.slice(0, -1) + (last === 'A' ? 'B' : String.fromCharCode(last.charCodeAt(0) ^ 1));
    })(),
  };
  for (const [name, auth] of Object.entries(cases)) {
    const r = await call('GET', `/api/preview?client=${c5}&trainer=${t2}`, { auth });
    assert.equal(r.status, 401, name);
    assert.equal(r.json.error, 'Unauthorized', name);
    for (const k of ['error', 'sqlstate', 'detail', 'hint']) assert.ok(k in r.json, `${name}: ${k}`);
  }
});

test('403: a signed-in user who is not an admin; nothing deleted', async () => {
  const c = await db();
  try {
    const before = await total(c, c5, t2);
    const user = token({ sub: md5uuid('client-7') });
    const r = await call('GET', `/api/preview?client=${c5}&trainer=${t2}`, { auth: user });
    assert.equal(r.status, 403);
    assert.equal(r.json.error, 'Unauthorized');
    assert.equal(r.json.sqlstate, '42501');
    const p = await call('GET', `/api/preview?client=${c5}&trainer=${t2}`);
    const d = await call('POST', '/api/cleanup', { auth: user, body: { client: c5, trainer: t2, reason: 'user', fingerprint: p.json.fingerprint } });
    assert.equal(d.status, 403);
    assert.equal(await total(c, c5, t2), before);
  } finally { await c.end(); }
});

test('400: malformed or missing input, unknown kind, one person as both', async () => {
  const cases = [
    ['GET', `/api/preview?client=not-a-uuid&trainer=${t2}`, undefined, '22P02'],
    ['GET', `/api/preview?client=${c5}`, undefined, '22004'],
    ['GET', `/api/preview?client=${c5}&trainer=${c5}`, undefined, '22023'],
    ['GET', '/api/people?kind=admin', undefined, '22023'],
    ['GET', '/api/people', undefined, '22023'],
    ['GET', '/api/audit?limit=0', undefined, '22023'],
    ['GET', '/api/audit?limit=abc', undefined, '22023'],
    ['POST', '/api/cleanup', { client: c5, trainer: t2, fingerprint: 'x' }, '22004'],
    ['POST', '/api/cleanup', { client: c5, trainer: t2, reason: '  ', fingerprint: 'x' }, '22004'],
    ['POST', '/api/cleanup', { client: c5, trainer: t2, reason: 'r' }, '22004'],
    ['POST', '/api/cleanup', { client: 'nope', trainer: t2, reason: 'r', fingerprint: 'x' }, '22P02'],
    ['POST', '/api/cleanup', { client: c5, trainer: t2, reason: 'r', fingerprint: 'not one of ours' }, '22023'],
    ['POST', '/api/cleanup', [1, 2], '22023'],
  ];
  for (const [method, path, body, sqlstate] of cases) {
    const r = await call(method, path, { body });
    assert.equal(r.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.json.sqlstate, sqlstate, `${method} ${path}`);
  }
  const bad = await call('POST', '/api/cleanup', { raw: '{"client": ', headers: { 'Content-Type': 'application/json' } });
  assert.equal(bad.status, 400);
  const nul = await call('GET', '/api/people?kind=client&search=%00');
  assert.equal(nul.status, 400);
  const nulBody = await call('POST', '/api/cleanup', { body: { client: c5, trainer: t2, reason: 'a\u0000b', fingerprint: '1:0' } });
  assert.equal(nulBody.status, 400);
});

test('413 and 415: a body over the limit, not JSON', async () => {
  const big = await call('POST', '/api/cleanup', { raw: JSON.stringify({ reason: 'x'.repeat(20000) }), headers: { 'Content-Type': 'application/json' } });
  assert.equal(big.status, 413);
  const form = await call('POST', '/api/cleanup', { raw: 'client=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  assert.equal(form.status, 415);
  const unknown = await call('GET', '/api/nothing');
  assert.equal(unknown.status, 404);
});

test('404: an id that is not a client (P0002)', async () => {
  const r = await call('GET', `/api/preview?client=${md5uuid('nobody')}&trainer=${t2}`);
  assert.equal(r.status, 404);
  assert.equal(r.json.sqlstate, 'P0002');
});

test('409: rows added after the preview; nothing deleted; the fresh preview comes along', async () => {
  const c = await db();
  try {
    const p = (await call('GET', `/api/preview?client=${c5}&trainer=${t2}`)).json;
    await c.query(`INSERT INTO app.engagement_records (client_id, trainer_id, kind) VALUES ($1, $2, 'like')`, [c5, t2]);
    const r = await call('POST', '/api/cleanup', { body: { client: c5, trainer: t2, reason: 'api 409', fingerprint: p.fingerprint } });
    assert.equal(r.status, 409);
    assert.equal(r.json.sqlstate, 'UC001');
    assert.match(r.json.detail, /app\.engagement_records: \d+ rows? previewed, \d+ now/);
    assert.equal(BigInt(r.json.preview.engagement_records), BigInt(p.engagement_records) + 1n);
    assert.equal(await total(c, c5, t2), r.json.preview.total);
    const audit = await c.query(`SELECT count(*) FROM ct_cleanup_audit WHERE reason = 'api 409'`);
    assert.equal(audit.rows[0].count, '0');
  } finally { await c.end(); }
});

test('422 and 503: ct_cleanup.max_rows and a lock the application holds', async () => {
  const c = await db();
  const holder = await db();
  try {
    const p = (await call('GET', `/api/preview?client=${c5}&trainer=${t2}`)).json;
    await c.query(`ALTER DATABASE ${process.env.DASHBOARD_DB} SET ct_cleanup.max_rows = 1`);
    await new Promise((r) => setTimeout(r, 1200));	// the server's idle connections close
    const big = await call('POST', '/api/cleanup', { body: { client: c5, trainer: t2, reason: 'api 422', fingerprint: p.fingerprint } });
    assert.equal(big.status, 422, big.text);
    assert.equal(big.json.sqlstate, '54000');
    await c.query(`ALTER DATABASE ${process.env.DASHBOARD_DB} RESET ct_cleanup.max_rows`);
    await c.query(`ALTER DATABASE ${process.env.DASHBOARD_DB} SET ct_cleanup.lock_timeout = 300`);
    await new Promise((r) => setTimeout(r, 1200));
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE app.alerts IN ACCESS EXCLUSIVE MODE');
    const busy = await call('POST', '/api/cleanup', { body: { client: c5, trainer: t2, reason: 'api 503', fingerprint: p.fingerprint } });
    assert.equal(busy.status, 503, busy.text);
    assert.equal(busy.json.sqlstate, '55P03');
    await holder.query('ROLLBACK');
    assert.equal(await total(c, c5, t2), p.total);
  } finally {
    await c.query(`ALTER DATABASE ${process.env.DASHBOARD_DB} RESET ct_cleanup.max_rows`);
    await c.query(`ALTER DATABASE ${process.env.DASHBOARD_DB} RESET ct_cleanup.lock_timeout`);
    await holder.end();
    await c.end();
  }
});

test('200: people, preview, cleanup bound to the preview, audit with the actor; counts exact', async () => {
  const c = await db();
  try {
    const people = await call('GET', '/api/people?kind=client&search=000006');
    assert.equal(people.status, 200);
    assert.deepEqual(people.json.map((x) => x.name), ['Client 000006']);
    const c6 = people.json[0].id;
    const t3 = md5uuid('trainer-3');
    const p = (await call('GET', `/api/preview?client=${c6}&trainer=${t3}`)).json;
    assert.equal(typeof p.total, 'string', 'bigint counts as exact strings');
    const r = await call('POST', '/api/cleanup', { body: { client: c6, trainer: t3, reason: 'api ok', fingerprint: p.fingerprint } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.total, p.total);
    assert.equal(await total(c, c6, t3), '0');
    const a = await call('GET', '/api/audit?limit=5');
    const row = a.json.find((x) => x.reason === 'api ok');
    assert.equal(row.actor_id, ADMIN);
    assert.equal(row.total, p.total);
  } finally { await c.end(); }
});
