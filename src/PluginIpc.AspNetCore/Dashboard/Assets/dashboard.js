// The plugin dashboard. Every text from the server goes into the page with textContent, never as HTML.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const el = (tag, props, ...children) => {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    for (const child of children) node.append(child);
    return node;
  };
  const state = { socket: null, retry: 0, detail: null, liveQuery: null, signedIn: false };

  async function api(path, options) {
    const response = await fetch(path, Object.assign({ credentials: 'same-origin', headers: { 'Accept': 'application/json' } }, options));
    if (response.status === 401) { showLogin(); throw new Error('Sign in first.'); }
    const text = await response.text();
    const body = text ? JSON.parse(text) : null;
    if (!response.ok) throw new Error((body && body.error) || `${response.status} ${response.statusText}`);
    return body;
  }

  function showLogin() {
    state.signedIn = false;
    if (state.socket) state.socket.close();
    $('dashboard').hidden = true;
    $('logout').hidden = true;
    $('login').hidden = false;
    setConnection('offline', 'signed out');
  }

  function showDashboard(canSignOut) {
    state.signedIn = true;
    $('login').hidden = true;
    $('dashboard').hidden = false;
    $('logout').hidden = !canSignOut;
  }

  function setConnection(name, text) {
    const badge = $('connection');
    badge.dataset.state = name;
    badge.textContent = text || name;
  }

  function uptime(startedAt) {
    if (!startedAt) return '';
    const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(startedAt)) / 1000));
    const d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : m ? `${m}m ${s}s` : `${s}s`;
  }

  function reasonOf(p) {
    if (p.state === 'Running' || p.state === 'Created') return '';
    const parts = [];
    if (p.lastExit && !p.lastExit.expected) parts.push(`exit code ${p.lastExit.exitCode}`);
    if (p.lastError) parts.push(p.lastError);
    if (p.held) parts.push('stopped by an operator');
    return parts.join(': ');
  }

  // Plugins with a start, stop or restart under way: one at a time each, whatever buttons a redraw puts in their row.
  const busy = new Set();

  function button(action, name, text) {
    const b = el('button', { type: 'button', textContent: text, disabled: busy.has(name) });
    b.dataset.action = action;
    b.addEventListener('click', () => control(action, name));
    return b;
  }

  function setBusy(name, value) {
    if (value) busy.add(name); else busy.delete(name);
    const row = rows.get(name);
    if (row) for (const b of row.cells.Actions.querySelectorAll('button')) b.disabled = value;
  }

  const columns = ['Name', 'State', 'PID', 'Uptime', 'Restarts', 'Framer', 'Transport', 'Calls/s', 'Errors', 'Actions'];
  const numeric = new Set(['PID', 'Uptime', 'Restarts', 'Calls/s', 'Errors']);
  const rows = new Map();

  // Rows are kept and their cells updated in place: a redraw must not swallow a click or reset a button that waits.
  function rowFor(name) {
    let row = rows.get(name);
    if (row) return row;
    const tr = el('tr');
    tr.dataset.plugin = name;
    const cells = {};
    for (const label of columns) {
      const td = el('td', { className: numeric.has(label) ? 'num' : '' });
      td.dataset.label = label;
      cells[label] = td;
      tr.append(td);
    }
    cells.Name.append(el('a', { href: '#/plugin/' + encodeURIComponent(name), className: 'name', textContent: name }));
    cells.Actions.className = 'actions';
    row = { tr, cells, actions: '', startedAt: null };
    rows.set(name, row);
    return row;
  }

  function setText(td, text) {
    if (td.textContent !== text) td.textContent = text;
  }

  function renderPlugins(plugins) {
    const names = plugins.map((p) => p.name);
    for (const name of [...rows.keys()]) if (!names.includes(name)) { rows.get(name).tr.remove(); rows.delete(name); }
    const body = $('plugins').tBodies[0];
    for (const p of plugins) {
      const row = rowFor(p.name);
      row.tr.dataset.state = p.state;
      row.startedAt = p.startedAt;
      const stateCell = row.cells.State;
      const reason = reasonOf(p);
      stateCell.replaceChildren(el('span', { className: 'state state-' + p.state, textContent: p.state }));
      if (reason) stateCell.append(el('span', { className: 'reason', textContent: reason }));
      setText(row.cells.PID, p.processId == null ? '' : String(p.processId));
      setText(row.cells.Uptime, uptime(p.startedAt));
      setText(row.cells.Restarts, String(p.restarts));
      setText(row.cells.Framer, p.framer || '');
      setText(row.cells.Transport, p.transport || '');
      setText(row.cells['Calls/s'], p.callsPerSecond.toFixed(1));
      setText(row.cells.Errors, `${p.errors} (${p.errorsPerSecond.toFixed(1)}/s)`);
      const running = p.state === 'Running' || p.state === 'Starting' || p.state === 'Restarting';
      const actions = running ? 'stop' : 'start';
      if (row.actions !== actions) {
        row.actions = actions;
        row.cells.Actions.replaceChildren(running ? button('stop', p.name, 'Stop') : button('start', p.name, 'Start'), button('restart', p.name, 'Restart'));
      }
      body.append(row.tr); // in the server's order; appending a row already there moves nothing else
    }
    const select = $('log-plugin');
    const known = [...select.options].slice(1).map((o) => o.value);
    if (known.join('\n') !== names.join('\n')) {
      const chosen = select.value;
      select.replaceChildren(el('option', { value: '', textContent: 'all' }), ...names.map((n) => el('option', { value: n, textContent: n })));
      select.value = chosen;
    }
    const shown = state.detail && plugins.find((p) => p.name === state.detail);
    const signature = shown ? JSON.stringify(shown) : null;
    if (shown && signature !== state.detailSignature) { state.detailSignature = signature; loadDetail(state.detail); }
  }

  // The uptime counts on in the page: the server sends the list only when something changed.
  setInterval(() => { for (const row of rows.values()) setText(row.cells.Uptime, uptime(row.startedAt)); }, 1000);

  async function control(action, name) {
    if (busy.has(name)) return;
    if (action === 'stop' && !window.confirm(`Stop plugin ${name}? It stays stopped until it is started again.`)) return;
    $('action-error').textContent = '';
    setBusy(name, true);
    try {
      await api(`api/plugins/${encodeURIComponent(name)}/${action}`, { method: 'POST' });
    } catch (error) {
      $('action-error').textContent = `${action} ${name}: ${error.message}`;
    } finally {
      setBusy(name, false);
    }
  }

  // One load at a time; a load asked for meanwhile (another plugin chosen, this one changed) runs when it ends.
  let detailLoading = false;
  let detailAgain = false;
  async function loadDetail(name) {
    if (detailLoading) { detailAgain = true; return; }
    detailLoading = true;
    try {
      const p = await api(`api/plugins/${encodeURIComponent(name)}`);
      if (name !== state.detail) return; // left while it loaded: the load asked for since shows the right one
      $('detail').hidden = false;
      $('detail-name').textContent = p.name;
      $('detail-metadata').replaceChildren(...Object.entries(p.metadata).flatMap(([k, v]) => [el('dt', { textContent: k }), el('dd', { textContent: v })]));
      $('detail-published').textContent = p.publishedTopics.join(', ') || 'none';
      $('detail-subscriptions').textContent = p.subscriptions.join(', ') || 'none';
      $('detail-exits').tBodies[0].replaceChildren(...p.exits.map((x) => el('tr', {},
        el('td', { textContent: new Date(x.time).toLocaleString() }), el('td', { textContent: String(x.processId) }),
        el('td', { textContent: String(x.exitCode) }), el('td', { textContent: x.expected ? 'asked to stop' : (x.reason || 'unexpected') }))));
      $('detail-stderr').textContent = p.stderr.map((line) => `${new Date(line.time).toLocaleTimeString()}  ${line.text}`).join('\n');
    } catch (error) {
      $('action-error').textContent = error.message;
    } finally {
      detailLoading = false;
      if (detailAgain) {
        detailAgain = false;
        if (state.detail) loadDetail(state.detail);
      }
    }
  }

  function route() {
    const match = /^#\/plugin\/(.+)$/.exec(location.hash);
    state.detail = match ? decodeURIComponent(match[1]) : null;
    state.detailSignature = null;
    if (state.detail) loadDetail(state.detail); else $('detail').hidden = true;
  }

  function readQuery() {
    const since = $('log-since').value;
    return {
      plugin: $('log-plugin').value || null,
      level: $('log-level').value,
      contains: $('log-contains').value || null,
      since: since ? new Date(since).toISOString() : null,
      max: Number($('log-max').value) || 100,
    };
  }

  function renderLogs(entries, truncated) {
    $('log-status').textContent = `${entries.length} entries, newest first` + (truncated ? ' (older ones left out: the answer would be too large; narrow the query)' : '');
    $('log-entries').replaceChildren(...entries.map((e) => {
      const li = el('li', { className: 'level-' + e.level });
      li.dataset.level = e.level;
      li.append(el('span', { className: 'meta', textContent: `${new Date(e.time).toLocaleTimeString()} ${e.plugin} ${e.level} ${e.category}` }), e.message);
      if (e.exception) li.append('\n' + e.exception);
      return li;
    }));
  }

  async function search() {
    const q = readQuery();
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v != null) params.set(k, String(v));
    try {
      const answer = await api('api/logs?' + params.toString());
      renderLogs(answer.entries, answer.truncated);
    } catch (error) {
      $('log-status').textContent = error.message;
    }
    sendTail();
  }

  function sendTail() {
    state.liveQuery = $('log-live').checked ? readQuery() : null;
    if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify({ type: 'logs', query: state.liveQuery }));
  }

  function connect() {
    if (!state.signedIn) return;
    const url = new URL('api/live', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url);
    state.socket = socket;
    setConnection('connecting');
    socket.onopen = () => { state.retry = 0; setConnection('live'); sendTail(); };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === 'plugins') renderPlugins(message.plugins);
      else if (message.type === 'logs') renderLogs(message.entries, message.truncated);
      else if (message.error) $('log-status').textContent = message.error;
    };
    socket.onclose = (event) => {
      if (state.socket !== socket) return;
      state.socket = null;
      if (!state.signedIn) return;
      setConnection('offline', 'reconnecting');
      const delay = Math.min(5000, 250 * 2 ** state.retry++);
      // 4001: the session ended; start() asks whether to sign in again. Any other close: try again, backing off.
      setTimeout(event.code === 4001 ? start : connect, delay);
    };
  }

  async function start() {
    try {
      const session = await api('api/session');
      showDashboard(session.signOut);
      renderPlugins((await api('api/plugins')).plugins);
      route();
      connect();
    } catch (error) {
      if (state.signedIn) $('action-error').textContent = error.message;
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      $('login-error').textContent = '';
      try {
        const response = await fetch('api/session', { method: 'POST', credentials: 'same-origin', headers: { 'Authorization': 'Bearer ' + $('token').value } });
        if (!response.ok) throw new Error(response.status === 401 ? 'That token is not right.' : `${response.status} ${response.statusText}`);
        $('token').value = '';
        start();
      } catch (error) {
        $('login-error').textContent = error.message;
      }
    });
    $('logout').addEventListener('click', async () => {
      await fetch('api/session', { method: 'DELETE', credentials: 'same-origin' });
      showLogin();
    });
    $('log-query').addEventListener('submit', (event) => { event.preventDefault(); search(); });
    $('log-live').addEventListener('change', sendTail);
    $('detail-close').addEventListener('click', () => { location.hash = ''; });
    window.addEventListener('hashchange', route);
    start();
  });
})();
