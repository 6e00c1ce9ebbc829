// Postwarden console. Plain JavaScript, no libraries. Every value that came from the daemon (and so possibly from
// an SMTP client: HELO names, senders, recipients) is shown with textContent or DOM APIs, never as HTML.
'use strict';
(function () {
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute('content') : '';

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }
  function say(text, bad) {
    var s = document.getElementById('status');
    if (s) { s.textContent = text; s.className = bad ? 'error' : ''; }
  }

  function api(path, body) {
    var opts = { credentials: 'same-origin', headers: { 'Accept': 'application/json' } };
    if (body !== undefined) {
      opts.method = 'POST';
      opts.headers['Content-Type'] = 'application/json';
      opts.headers['X-CSRF-Token'] = csrf;
      opts.body = JSON.stringify(body);
    }
    return fetch('/ui/api/' + path, opts).then(function (r) {
      if (r.status === 401) { window.location.href = '/ui/login'; }
      return r.json().then(function (j) { return { ok: r.ok, status: r.status, body: j }; });
    });
  }

  // A JSON value as DOM: objects as definition lists, arrays of objects as tables, the rest as text.
  function render(v, depth) {
    depth = depth || 0;
    if (v === null || v === undefined) { return el('span', '—', 'none'); }
    if (Array.isArray(v)) {
      if (v.length === 0) { return el('span', '(none)', 'none'); }
      if (v.every(function (x) { return x && typeof x === 'object' && !Array.isArray(x); })) {
        var keys = [];
        v.forEach(function (x) { Object.keys(x).forEach(function (k) { if (keys.indexOf(k) < 0) { keys.push(k); } }); });
        var t = el('table'), hr = el('tr');
        keys.forEach(function (k) { var th = el('th', k); th.scope = 'col'; hr.appendChild(th); });
        t.appendChild(el('thead')).appendChild(hr);
        var tb = t.appendChild(el('tbody'));
        v.forEach(function (x) {
          var tr = el('tr');
          keys.forEach(function (k) { tr.appendChild(el('td')).appendChild(render(x[k], depth + 1)); });
          tb.appendChild(tr);
        });
        return t;
      }
      var ul = el('ul');
      v.forEach(function (x) { ul.appendChild(el('li')).appendChild(render(x, depth + 1)); });
      return ul;
    }
    if (typeof v === 'object') {
      var dl = el('dl');
      Object.keys(v).forEach(function (k) {
        dl.appendChild(el('dt', k));
        dl.appendChild(el('dd')).appendChild(render(v[k], depth + 1));
      });
      return dl;
    }
    return el('span', String(v));
  }

  function show(id, value) {
    var n = document.getElementById(id);
    if (n) { clear(n); n.appendChild(render(value)); }
  }

  function fail(r) { say((r.body && r.body.error) || ('failed: HTTP ' + r.status), true); }

  // ---- overview -------------------------------------------------------------------------------------------
  function overview() {
    var cache = {};
    document.querySelectorAll('.data[data-src]').forEach(function (n) {
      var src = n.getAttribute('data-src'), pick = n.getAttribute('data-pick');
      if (!cache[src]) { cache[src] = api(src); }
      cache[src].then(function (r) {
        if (!r.ok) { fail(r); return; }
        clear(n);
        n.appendChild(render(pick ? r.body[pick] : r.body));
      });
    });
  }

  // ---- bans -----------------------------------------------------------------------------------------------
  var allBans = [];
  function drawBans() {
    var q = (document.getElementById('ban-search').value || '').toLowerCase();
    var list = document.getElementById('bans-list');
    clear(list);
    var shown = allBans.filter(function (b) { return JSON.stringify(b).toLowerCase().indexOf(q) >= 0; });
    if (shown.length === 0) { list.appendChild(el('p', allBans.length ? 'No ban matches.' : 'No active bans.')); return; }
    var t = el('table'); t.id = 'bans-table';
    var keys = ['cidr', 'level', 'reason', 'detail', 'since', 'until', 'permanent', 'offense'];
    var hr = el('tr');
    keys.concat(['']).forEach(function (k) { var th = el('th', k); th.scope = 'col'; hr.appendChild(th); });
    t.appendChild(el('thead')).appendChild(hr);
    var tb = t.appendChild(el('tbody'));
    shown.forEach(function (b) {
      var tr = el('tr'); tr.setAttribute('data-cidr', b.cidr);
      keys.forEach(function (k) { tr.appendChild(el('td')).appendChild(render(b[k])); });
      var btn = el('button', 'Remove'); btn.type = 'button';
      btn.setAttribute('aria-label', 'Remove the ban on ' + b.cidr);
      btn.addEventListener('click', function () {
        api('unban', { cidr: b.cidr }).then(function (r) {
          if (r.ok) { say('Ban on ' + b.cidr + ' removed.'); loadBans(); } else { fail(r); }
        });
      });
      tr.appendChild(el('td')).appendChild(btn);
      tb.appendChild(tr);
    });
    list.appendChild(t);
  }
  function loadBans() {
    return api('bans').then(function (r) { if (!r.ok) { fail(r); return; } allBans = r.body.bans || []; drawBans(); });
  }
  function bans() {
    document.getElementById('ban-search').addEventListener('input', drawBans);
    document.getElementById('ban-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var f = ev.target;
      api('bans', { cidr: f.cidr.value, duration: f.duration.value, reason: f.reason.value }).then(function (r) {
        if (r.ok) { say('Banned ' + r.body.ban.cidr + '.'); f.reset(); loadBans(); } else { fail(r); }
      });
    });
    loadBans();
  }

  // ---- outbound -------------------------------------------------------------------------------------------
  function outbound() {
    var box = document.getElementById('suspensions');
    api('suspensions').then(function (r) {
      if (!r.ok) { fail(r); return; }
      clear(box);
      var list = r.body.suspensions || [];
      if (list.length === 0) { box.appendChild(el('p', 'No sender is suspended.')); return; }
      list.forEach(function (s) {
        var art = el('article', null, 'suspension'); art.setAttribute('data-subject', s.subject);
        art.appendChild(el('h3', s.subject));
        art.appendChild(render({ reason: s.reason, detail: s.detail, since: new Date(s.sinceMillis).toISOString(),
          heldMessages: s.heldMessages, senders: s.senders, queueIds: s.queueIds }));
        var ids = (s.queueIds || []).length ? ' (queue ids ' + s.queueIds.join(', ') + ')' : '';
        [['release', 'Release', 'Lift the suspension of ' + s.subject + ' and release its ' + s.heldMessages +
          ' held message(s)' + ids + ' from the hold queue: they will be delivered.'],
         ['purge', 'Purge', 'Delete the ' + s.heldMessages + ' held message(s) of ' + s.subject + ids +
          ' from the hold queue for good: they will not be delivered.']].forEach(function (a) {
          var b = el('button', a[1]); b.type = 'button';
          b.setAttribute('aria-label', a[1] + ' ' + s.subject);
          b.addEventListener('click', function () {
            if (!window.confirm(a[2])) { return; }
            api(a[0], { subject: s.subject }).then(function (res) {
              if (res.ok) {
                say(a[1] + 'd ' + s.subject + ': ' + res.body.messages + ' message(s)' +
                  (res.body.error ? ' (' + res.body.error + ')' : '') + '.');
                outbound();
              } else { fail(res); }
            });
          });
          art.appendChild(b);
        });
        box.appendChild(art);
      });
    });
  }

  // ---- explain --------------------------------------------------------------------------------------------
  function explain() {
    var q = document.getElementById('q').value;
    if (!q) { return; }
    api('explain?q=' + encodeURIComponent(q)).then(function (r) {
      if (!r.ok) { fail(r); return; }
      show('explain', r.body);
    });
  }

  // ---- live -----------------------------------------------------------------------------------------------
  function live() {
    var src = null;
    var body = document.querySelector('#live tbody');
    function stop() { if (src) { src.close(); src = null; say('Stopped.'); } }
    document.getElementById('live-stop').addEventListener('click', stop);
    document.getElementById('live-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      stop();
      var f = ev.target;
      src = new EventSource('/ui/api/live?action=' + encodeURIComponent(f.action.value) +
        '&client=' + encodeURIComponent(f.client.value));
      say('Following…');
      src.addEventListener('decision', function (m) {
        var d = JSON.parse(m.data), tr = el('tr');
        ['at', 'source', 'client', 'helo', 'sender', 'recipient', 'user', 'action', 'reason'].forEach(function (k) {
          tr.appendChild(el('td', d[k]));
        });
        body.insertBefore(tr, body.firstChild);
        while (body.children.length > 200) { body.removeChild(body.lastChild); }
      });
      src.onerror = function () { say('Stream interrupted; the browser retries.', true); };
    });
  }

  // ---- config ---------------------------------------------------------------------------------------------
  function loadConfig() {
    api('config').then(function (r) {
      if (!r.ok) { fail(r); return; }
      show('config-meta', { source: r.body.source, lastReload: r.body.lastReload, restartNeeded: r.body.restartNeeded });
      document.getElementById('config-effective').textContent = JSON.stringify(r.body.effective, null, 2);
    });
  }
  function config() {
    document.getElementById('reload').addEventListener('click', function () {
      var out = document.getElementById('reload-result');
      clear(out);
      api('reload', {}).then(function (r) {
        if (r.ok) { out.appendChild(el('p', 'Reloaded.', 'ok')); }
        else {
          out.appendChild(el('p', 'Reload refused: the running configuration is kept.', 'error'));
          out.appendChild(render(r.body.errors || r.body.error));
        }
        loadConfig();
      });
    });
    loadConfig();
  }

  document.addEventListener('DOMContentLoaded', function () {
    var out = document.getElementById('logout');
    if (out) {
      out.addEventListener('click', function () {
        fetch('/ui/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf } })
          .then(function () { window.location.href = '/ui/login'; });
      });
    }
    var page = document.body.getAttribute('data-page');
    ({ overview: overview, bans: bans, outbound: outbound, explain: explain, live: live, config: config }[page] ||
      function () {})();
  });
})();
