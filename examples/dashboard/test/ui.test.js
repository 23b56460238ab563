'use strict';
// The page in Debian's Chromium (playwright-core): the admin flow of the
// product brief found by roles and accessible names (CONTRACT §11), Cancel,
// a stale preview, hostile names, the keyboard alone, an empty search, a
// refused user; axe-core in each state; a screenshot of each state.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { URL_BASE, ADMIN, md5uuid, token, db, total } = require('./helpers');

const SHOTS = process.env.DASHBOARD_SHOTS;
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
let browser;
let c;

test.before(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  c = await db();
});
test.after(async () => {
  if (browser) await browser.close();
  if (c) await c.end();
});

async function open(auth = token()) {
  const page = await (await browser.newContext({ viewport: { width: 1100, height: 900 } })).newPage();
  page.on('dialog', (d) => { throw new Error(`a JavaScript dialog opened: ${d.message()}`); });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.errors = errors;
  await page.goto(`${URL_BASE}/#access_token=${auth}`);
  return page;
}

// axe-core: no serious or critical violation
async function accessible(page, state) {
  await page.evaluate(`${AXE}; undefined`);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  });
  assert.deepEqual(result, [], `axe in state ${state}`);
}

async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function pick(page, label, text, name) {
  const box = page.getByRole('combobox', { name: label });
  await box.fill(text);
  await page.getByRole('option', { name, exact: true }).click();
}

test('the whole flow by roles and names; Cancel deletes nothing; exact counts; the actor audited', async () => {
  const client = md5uuid('client-2');
  const trainer = md5uuid('trainer-2');
  const before = await total(c, client, trainer);
  assert.ok(Number(before) > 0);
  const page = await open();
  assert.equal(new URL(page.url()).hash, '', 'the token left the address bar');
  await page.getByRole('tab', { name: 'Data Cleanup' }).waitFor();
  await page.getByRole('heading', { name: 'Client-Trainer Interaction Cleanup' }).waitFor();
  await accessible(page, 'idle');
  await shot(page, '1-idle');

  await pick(page, 'Select Client', '000002', 'Client 000002');
  await pick(page, 'Select Trainer', '000002', 'Trainer 000002');
  const selection = page.getByRole('region', { name: 'Selection' });
  await selection.getByText(`${before} rows would be deleted.`).waitFor();
  await assert.doesNotReject(selection.getByText('Client 000002').first().waitFor());
  await assert.doesNotReject(selection.getByText('Trainer 000002').first().waitFor());
  assert.equal(await page.getByRole('button', { name: 'Run Cleanup' }).isDisabled(), true, 'no reason yet');
  await page.getByRole('textbox', { name: 'Reason' }).fill('ui test: reset the journey');
  await page.getByRole('button', { name: 'Run Cleanup' }).click();

  const dialog = page.getByRole('alertdialog', { name: 'Confirm cleanup' });
  await dialog.waitFor();
  const text = await dialog.innerText();
  assert.match(text, /Client 000002/);
  assert.match(text, /Trainer 000002/);
  assert.match(text, /cannot be undone/);
  for (const label of ['Messages', 'Conversations', 'Read receipts', 'Discovery calls', 'Call feedback',
    'Feedback responses', 'Call notes', 'Call notifications', 'Engagement records',
    'Coach selection requests', 'Waitlist entries', 'Alerts', 'Feedback notifications', 'Other']) {
    assert.match(text, new RegExp(`${label}\\s+\\d+`), label);
  }
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Cancel', 'Cancel has focus');
  await accessible(page, 'dialog');
  await shot(page, '2-dialog');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await total(c, client, trainer), before, 'Cancel deleted nothing');

  await page.getByRole('button', { name: 'Run Cleanup' }).click();
  await dialog.getByRole('button', { name: 'OK' }).click();
  const results = page.getByRole('region', { name: 'Results' });
  await results.waitFor();
  const rows = await results.getByRole('row').allInnerTexts();
  assert.equal(rows.length, 1 + 14 + 1, 'header, 14 categories, Total');
  assert.match(rows[rows.length - 1], new RegExp(`Total\\s+${before}`));
  assert.equal(await total(c, client, trainer), '0', 'the rows are gone');
  const audit = await c.query(`SELECT actor_id, total FROM ct_cleanup_audit WHERE reason = 'ui test: reset the journey'`);
  assert.deepEqual(audit.rows, [{ actor_id: ADMIN, total: before }]);
  await page.getByRole('table', { name: 'Recent cleanups' }).getByText('ui test: reset the journey').waitFor();
  await accessible(page, 'results');
  await shot(page, '3-results');
  assert.deepEqual(page.errors, []);
});

test('a stale preview: rows added after it give 409, the fresh counts, and a second confirmation', async () => {
  const client = md5uuid('client-8');
  const trainer = md5uuid('trainer-2');
  const page = await open();
  await pick(page, 'Select Client', '000008', 'Client 000008');
  await pick(page, 'Select Trainer', '000002', 'Trainer 000002');
  const before = await total(c, client, trainer);
  await page.getByRole('region', { name: 'Selection' }).getByText(`${before} rows would be deleted.`).waitFor();
  await page.getByRole('textbox', { name: 'Reason' }).fill('ui test: stale');
  await page.getByRole('button', { name: 'Run Cleanup' }).click();
  await c.query(`INSERT INTO app.engagement_records (client_id, trainer_id, kind) VALUES ($1, $2, 'match')`, [client, trainer]);
  const dialog = page.getByRole('alertdialog', { name: 'Confirm cleanup' });
  await dialog.getByRole('button', { name: 'OK' }).click();
  await dialog.getByText(/The data changed since the preview/).waitFor();
  assert.match(await dialog.innerText(), /Engagement records: \d+ → \d+/);
  assert.equal(await total(c, client, trainer), String(Number(before) + 1), 'nothing deleted');
  await shot(page, '4-stale');
  await dialog.getByRole('button', { name: 'OK' }).click();
  await page.getByRole('region', { name: 'Results' }).getByText(`Deleted ${Number(before) + 1} rows`).waitFor();
  assert.equal(await total(c, client, trainer), '0');
});

test('a preview answered after the selection changed is dropped', async () => {
  const page = await open();
  let delayed = false;
  await page.route('**/api/preview?*', async (route) => {
    if (!delayed && route.request().url().includes(md5uuid('trainer-1'))) {
      delayed = true;
      await new Promise((r) => setTimeout(r, 1500));
    }
    await route.continue();
  });
  await pick(page, 'Select Client', '000004', 'Client 000004');
  await pick(page, 'Select Trainer', '000001', 'Trainer 000001');
  await pick(page, 'Select Trainer', '000003', 'Trainer 000003');	// while the first is in flight
  const expected = await total(c, md5uuid('client-4'), md5uuid('trainer-3'));
  await page.waitForTimeout(1800);
  const status = await page.getByRole('region', { name: 'Selection' }).innerText();
  assert.match(status, /Trainer 000003/);
  assert.match(status, expected === '0' ? /Nothing to delete/ : new RegExp(`${expected} rows would be deleted`));
  assert.ok(delayed);
});

test('hostile names are text', async () => {
  await c.query(`INSERT INTO app.profiles (id, user_type, name) VALUES ($1, 'trainer', '<img src=x onerror=alert(1)>') ON CONFLICT DO NOTHING`, [md5uuid('hostile')]);
  const page = await open();
  await page.getByRole('combobox', { name: 'Select Trainer' }).fill('<img');
  await page.getByRole('option', { name: '<img src=x onerror=alert(1)>' }).click();
  assert.equal(await page.locator('img').count(), 0, 'no img element anywhere');
  assert.equal(await page.getByRole('region', { name: 'Selection' }).getByText('<img src=x onerror=alert(1)>').count(), 1);
  assert.deepEqual(page.errors, []);
});

test('the flow with the keyboard alone', async () => {
  const client = md5uuid('client-9');
  const trainer = md5uuid('trainer-3');
  const before = await total(c, client, trainer);
  const page = await open();
  await page.getByRole('tab', { name: 'Data Cleanup' }).waitFor();
  await page.keyboard.press('Tab');	// the tab
  await page.keyboard.press('Tab');	// Select Client
  assert.equal(await page.evaluate(() => document.activeElement.id), 'client-input');
  await page.keyboard.type('000009');
  await page.getByRole('option', { name: 'Client 000009', exact: true }).waitFor();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'trainer-input');
  await page.keyboard.type('000003');
  await page.getByRole('option', { name: 'Trainer 000003', exact: true }).waitFor();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.getByRole('region', { name: 'Selection' }).getByText(`${before} rows would be deleted.`).waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'reason');
  await page.keyboard.type('ui test: keyboard');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'run');
  await page.keyboard.press('Enter');
  await page.getByRole('alertdialog', { name: 'Confirm cleanup' }).waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'ok');
  await page.keyboard.press('Enter');
  await page.getByRole('region', { name: 'Results' }).getByText(`Deleted ${before} rows`).waitFor();
  assert.equal(await total(c, client, trainer), '0');
});

test('a search that finds nobody shows what to check', async () => {
  const page = await open();
  await page.getByRole('combobox', { name: 'Select Client' }).fill('zzzz nobody');
  await page.getByText(/No users found/).first().waitFor();
  assert.equal(await page.getByRole('option').count(), 0);
});

test('a user who is not an admin, and a tampered token: Unauthorized, nothing deleted', async () => {
  for (const [name, auth] of [['user', token({ sub: md5uuid('client-4') })],
    ['tampered', token().slice(0, -3) + 'AAA'],
    ['expired', token({ exp: 1 })]]) {
    const page = await open(auth);
    await page.getByRole('combobox', { name: 'Select Client' }).fill('0000');
    await page.getByRole('alert').getByText('Unauthorized').waitFor();
    assert.equal(await page.getByRole('option').count(), 0, `${name}: no people`);
    if (name === 'user') {
      await accessible(page, 'error');
      await shot(page, '5-error');
    }
  }
});
