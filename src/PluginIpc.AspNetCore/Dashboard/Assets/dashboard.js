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
  const state = { plugins: [], socket: null, retry: 0, detail: null, liveQuery: null, signedIn: false };

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

  function uptime(seconds) {
    if (seconds == null) return '';
    const d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600), m = Math.floor(seconds % 3600 / 60), s = Math.floor(seconds % 60);
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

  function cell(label, content, className) {
    const td = el('td', { className: className || '' });
    td.dataset.label = label;
    td.append(content == null ? '' : content);
    return td;
  }

  function button(action, name, text) {
    const b = el('button', { type: 'button', textContent: text });
    b.dataset.action = action;
    b.addEventListener('click', () => control(action, name, b));
    return b;
  }

  function renderPlugins(plugins) {
    state.plugins = plugins;
    const rows = plugins.map((p) => {
      const tr = el('tr');
      tr.dataset.plugin = p.name;
      tr.dataset.state = p.state;
      const link = el('a', { href: '#/plugin/' + encodeURIComponent(p.name), className: 'name', textContent: p.name });
      const stateCell = cell('State', el('span', { className: 'state state-' + p.state, textContent: p.state }), 'state-cell');
      const reason = reasonOf(p);
      if (reason) stateCell.append(el('span', { className: 'reason', textContent: reason }));
      const running = p.state === 'Running' || p.state === 'Starting' || p.state === 'Restarting';
      const actions = cell('Actions', '', 'actions');
      if (!running) actions.append(button('start', p.name, 'Start'));
      if (running) actions.append(button('stop', p.name, 'Stop'));
      actions.append(button('restart', p.name, 'Restart'));
      tr.append(
        cell('Name', link),
        stateCell,
        cell('PID', p.processId == null ? '' : String(p.processId), 'num'),
        cell('Uptime', uptime(p.uptimeSeconds), 'num'),
        cell('Restarts', String(p.restarts), 'num'),
        cell('Framer', p.framer || ''),
        cell('Transport', p.transport || ''),
        cell('Calls/s', p.callsPerSecond.toFixed(1), 'num calls'),
        cell('Errors', `${p.errors} (${p.errorsPerSecond.toFixed(1)}/s)`, 'num errors'),
        actions);
      return tr;
    });
    $('plugins').tBodies[0].replaceChildren(...rows);
    const select = $('log-plugin');
    const chosen = select.value;
    select.replaceChildren(el('option', { value: '', textContent: 'all' }), ...plugins.map((p) => el('option', { value: p.name, textContent: p.name })));
    select.value = chosen;
    if (state.detail) loadDetail(state.detail);
  }

  async function control(action, name, b) {
    if (action === 'stop' && !window.confirm(`Stop plugin ${name}? It stays stopped until it is started again.`)) return;
    $('action-error').textContent = '';
    b.disabled = true;
    try {
      await api(`api/plugins/${encodeURIComponent(name)}/${action}`, { method: 'POST' });
    } catch (error) {
      $('action-error').textContent = `${action} ${name}: ${error.message}`;
    } finally {
      b.disabled = false;
    }
  }

  let detailLoading = false;
  async function loadDetail(name) {
    if (detailLoading) return;
    detailLoading = true;
    try {
      const p = await api(`api/plugins/${encodeURIComponent(name)}`);
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
    }
  }

  function route() {
    const match = /^#\/plugin\/(.+)$/.exec(location.hash);
    state.detail = match ? decodeURIComponent(match[1]) : null;
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

  function renderLogs(entries) {
    $('log-status').textContent = `${entries.length} entries, newest first`;
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
      renderLogs((await api('api/logs?' + params.toString())).entries);
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
      else if (message.type === 'logs') renderLogs(message.entries);
    };
    socket.onclose = (event) => {
      if (state.socket !== socket) return;
      state.socket = null;
      if (!state.signedIn) return;
      setConnection('offline', 'reconnecting');
      if (event.code === 1008) { start(); return; } // refused: maybe signed out
      const delay = Math.min(5000, 250 * 2 ** state.retry++);
      setTimeout(connect, delay);
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
