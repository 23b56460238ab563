'use strict';
// The Data Cleanup page: pick a client and a trainer, see the preview, give
// a reason, confirm, read the results.  Every name is put in the page as
// text (textContent), never as HTML.  The token comes from the URL fragment
// #access_token=<JWT>, is removed from the address bar, and is kept only in
// memory.

(function () {
  const CATEGORIES = [
    ['messages', 'Messages'], ['conversations', 'Conversations'], ['read_receipts', 'Read receipts'],
    ['discovery_calls', 'Discovery calls'], ['call_feedback', 'Call feedback'],
    ['feedback_responses', 'Feedback responses'], ['call_notes', 'Call notes'],
    ['call_notifications', 'Call notifications'], ['engagement_records', 'Engagement records'],
    ['coach_selection_requests', 'Coach selection requests'], ['waitlist_entries', 'Waitlist entries'],
    ['alerts', 'Alerts'], ['feedback_notifications', 'Feedback notifications'], ['other', 'Other'],
  ];
  const $ = (id) => document.getElementById(id);
  const state = { token: null, client: null, trainer: null, preview: null, busy: false };

  // the token, out of the address bar
  const m = /(?:^#|&)access_token=([^&]+)/.exec(location.hash);
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  if (m) {
    try { state.token = decodeURIComponent(m[1]); } catch (e) { state.token = null; }
  }
  let previewSeq = 0;

  async function api(method, url, body) {
    const res = await fetch(url, {
      method,
      headers: Object.assign({ Authorization: 'Bearer ' + (state.token || '') },
        body ? { 'Content-Type': 'application/json' } : {}),
      body: body ? JSON.stringify(body) : undefined,
    });
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) {
      const err = new Error((data && data.error) || ('HTTP ' + res.status));
      err.status = res.status;
      err.data = data || {};
      throw err;
    }
    return data;
  }

  function showError(err) {
    const box = $('error');
    box.replaceChildren();
    const title = document.createElement('strong');
    const advice = document.createElement('p');
    if (err.status === 401 || err.status === 403) {
      title.textContent = 'Unauthorized';
      advice.textContent = err.status === 403
        ? 'Your account is not a ct_cleanup admin. Ask a database administrator to make it one (the admin_role or admin_check setting), then sign in again.'
        : 'Your sign-in is missing, invalid or expired. Sign in again.';
    } else if (err.status === 404) {
      title.textContent = 'Not found';
      advice.textContent = 'That person is not among the clients or trainers any more. Pick again.';
    } else if (err.status === 400) {
      title.textContent = 'Invalid request';
      advice.textContent = err.message;
    } else if (err.status === 422) {
      title.textContent = 'Too many rows';
      advice.textContent = 'This cleanup would delete more rows than the limit (ct_cleanup.max_rows) allows. Ask a database administrator.';
    } else if (err.status === 503) {
      title.textContent = 'Busy';
      advice.textContent = 'The application held a lock the cleanup needed. Nothing was deleted; try again in a moment.';
    } else {
      title.textContent = 'Something went wrong';
      advice.textContent = err.message + '. Nothing was deleted.';
    }
    box.append(title, advice);
    if (err.data && err.data.detail && err.status !== 403) {
      const detail = document.createElement('p');
      detail.textContent = err.data.detail;
      box.append(detail);
    }
    box.hidden = false;
  }
  const clearError = () => { $('error').hidden = true; $('error').replaceChildren(); };

  function fillCounts(tbody, row, withTotal) {
    tbody.replaceChildren();
    for (const [key, label] of CATEGORIES) {
      const tr = document.createElement('tr');
      const th = document.createElement('td');
      const td = document.createElement('td');
      th.textContent = label;
      td.textContent = String(row[key]);
      td.className = 'n';
      tr.append(th, td);
      tbody.append(tr);
    }
    if (withTotal) {
      const tr = document.createElement('tr');
      tr.className = 'total';
      const th = document.createElement('td');
      const td = document.createElement('td');
      th.textContent = 'Total';
      td.textContent = String(row.total);
      td.className = 'n';
      tr.append(th, td);
      tbody.append(tr);
    }
  }

  // ---------------------------------------------------------------- pickers
  function picker(kind) {
    const input = $(kind + '-input');
    const list = $(kind + '-list');
    const empty = $(kind + '-empty');
    let timer = null;
    let options = [];
    let active = -1;
    let seq = 0;

    function close() {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    }
    function highlight(i) {
      active = i;
      options.forEach((li, k) => li.setAttribute('aria-selected', String(k === i)));
      if (i >= 0) {
        input.setAttribute('aria-activedescendant', options[i].id);
        options[i].scrollIntoView({ block: 'nearest' });
      }
    }
    function choose(person) {
      state[kind] = person;
      input.value = person.name;
      $('sel-' + kind).textContent = person.name;
      close();
      loadPreview();
    }
    async function search() {
      const mine = ++seq;
      try {
        const rows = await api('GET', '/api/people?kind=' + kind + '&search=' + encodeURIComponent(input.value.trim()));
        if (mine !== seq) return;
        list.replaceChildren();
        options = rows.map((p, i) => {
          const li = document.createElement('li');
          li.id = kind + '-option-' + i;
          li.setAttribute('role', 'option');
          li.setAttribute('aria-selected', 'false');
          li.textContent = p.name;
          li.addEventListener('mousedown', (e) => { e.preventDefault(); choose(p); });
          li.person = p;
          list.append(li);
          return li;
        });
        const focused = document.activeElement === input;
        empty.hidden = rows.length > 0;
        list.hidden = rows.length === 0 || !focused;
        input.setAttribute('aria-expanded', String(rows.length > 0 && focused));
        active = -1;
        clearError();
      } catch (err) {
        if (mine === seq) showError(err);
      }
    }
    input.addEventListener('input', () => {
      state[kind] = null;
      $('sel-' + kind).textContent = 'none';
      resetPreview();
      seq++;			/* an answer to an earlier search is stale */
      list.replaceChildren();
      options = [];
      empty.hidden = true;
      close();
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener('focus', () => { if (!state[kind]) search(); });
    input.addEventListener('blur', () => setTimeout(close, 100));
    input.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown') {
        e.preventDefault();
        if (list.hidden) { search(); return; }
        highlight(Math.min(active + 1, options.length - 1));
      } else if (e.key === 'ArrowUp') {
        e.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (e.key === 'Enter') {
        if (!list.hidden && active >= 0) { e.preventDefault(); choose(options[active].person); }
      } else if (e.key === 'Escape') {
        close();
      }
    });
  }

  // ---------------------------------------------------------------- preview
  function resetPreview() {
    previewSeq++;
    state.preview = null;
    $('preview-table').hidden = true;
    $('preview-status').textContent = 'Pick a client and a trainer to see what would be deleted.';
    updateRun();
  }
  async function loadPreview() {
    if (!state.client || !state.trainer) { resetPreview(); return; }
    $('preview-status').textContent = 'Counting…';
    const mine = ++previewSeq;
    const client = state.client;
    const trainer = state.trainer;
    try {
      const row = await api('GET', '/api/preview?client=' + client.id + '&trainer=' + trainer.id);
      // an answer for a pair no longer selected is dropped
      if (mine !== previewSeq || state.client !== client || state.trainer !== trainer ||
          row.client_id !== client.id || row.trainer_id !== trainer.id) return;
      setPreview(row);
      clearError();
    } catch (err) {
      if (mine !== previewSeq) return;
      resetPreview();
      showError(err);
    }
  }
  function setPreview(row) {
    state.preview = row;
    fillCounts($('preview-table').tBodies[0], row, true);
    $('preview-table').hidden = false;
    $('preview-status').textContent = row.total === '0'
      ? 'Nothing to delete for this pair.'
      : row.total + ' rows would be deleted.';
    updateRun();
  }
  function updateRun() {
    $('run').disabled = state.busy || !state.preview || state.preview.total === '0' ||
      !state.client || !state.trainer || $('reason').value.trim() === '';
  }
  $('reason').addEventListener('input', updateRun);

  // ---------------------------------------------------------------- confirm
  const dialog = $('confirm');
  function openConfirm(changed) {
    if (!state.client || !state.trainer || !state.preview) return;
    $('confirm-client').textContent = state.client.name;
    $('confirm-trainer').textContent = state.trainer.name;
    fillCounts($('confirm-table').tBodies[0], state.preview, true);
    $('confirm-changed').hidden = !changed;
    $('confirm-changed').textContent = changed || '';
    if (!dialog.open) dialog.showModal();
    $('cancel').focus();
  }
  function setBusy(busy) {
    state.busy = busy;
    $('ok').disabled = busy;
    $('cancel').disabled = busy;
    $('progress').hidden = !busy;
    updateRun();
  }
  $('run').addEventListener('click', () => { clearError(); openConfirm(null); });
  $('cancel').addEventListener('click', () => dialog.close());
  dialog.addEventListener('cancel', (e) => { if (state.busy) e.preventDefault(); });
  $('ok').addEventListener('click', async () => {
    setBusy(true);
    try {
      const row = await api('POST', '/api/cleanup', {
        client: state.client.id, trainer: state.trainer.id,
        reason: $('reason').value.trim(), fingerprint: state.preview.fingerprint,
      });
      setBusy(false);
      dialog.close();
      showResults(row);
      resetPreview();
      loadPreview();
      loadRecent();
    } catch (err) {
      setBusy(false);
      if (err.status === 409 && err.data.preview) {
        const before = state.preview;
        setPreview(err.data.preview);
        const what = CATEGORIES.filter(([k]) => before[k] !== err.data.preview[k])
          .map(([k, label]) => label + ': ' + before[k] + ' → ' + err.data.preview[k]);
        openConfirm('The data changed since the preview, and nothing was deleted. ' +
          (what.length ? 'Now: ' + what.join('; ') + '.' : 'The counts are the same, but not the rows.') +
          ' Check the new counts and confirm again.');
      } else {
        dialog.close();
        showError(err);
      }
    }
  });

  // ---------------------------------------------------------------- results
  function showResults(row) {
    fillCounts($('results-table').tBodies[0], row, true);
    $('results-text').textContent = 'Deleted ' + row.total + ' rows between ' + state.client.name +
      ' and ' + state.trainer.name + ' (audit entry ' + row.audit_id + ').';
    $('results').hidden = false;
    $('results-title').focus();
  }

  async function loadRecent() {
    try {
      const rows = await api('GET', '/api/audit?limit=20');
      const tbody = $('recent').tBodies[0];
      tbody.replaceChildren();
      for (const r of rows) {
        const tr = document.createElement('tr');
        for (const v of [new Date(r.performed_at).toLocaleString(), r.admin_role, r.actor_id || '—',
          r.client_id, r.trainer_id, r.total, r.reason || '—']) {
          const td = document.createElement('td');
          td.textContent = String(v);
          tr.append(td);
        }
        tbody.append(tr);
      }
    } catch (err) {
      showError(err);
    }
  }

  picker('client');
  picker('trainer');
  if (!state.token) {
    showError({ status: 401, message: 'no token', data: {} });
  } else {
    // whether this user may use the page at all: the people source answers admins only
    api('GET', '/api/people?kind=client&search=').then(loadRecent, showError);
  }
})();
