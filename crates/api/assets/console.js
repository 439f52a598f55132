// tracechain: the regulator console (issue 15, ADR 0089). Served by every node at /console.
// The regulator signs in with its participant key (sign.js: imported into WebCrypto, never
// sent); every read is a signed read, every decision a record signed here and committed by
// the validators. Everything shown comes from this node's read API; nothing is written into
// the page as markup (text only).
'use strict';
(function () {
  const S = window.tracechainSign;
  const doc = document;
  const $ = (id) => doc.getElementById(id);
  const zh = (doc.documentElement.lang || 'en').startsWith('zh');
  const t = (en, cn) => (zh ? cn : en);
  let session = null;
  let department = null;

  // An element with text children only (never HTML from data).
  function el(tag, attrs, ...kids) {
    const e = doc.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const k of kids.flat()) {
      if (k === null || k === undefined) continue;
      e.appendChild(typeof k === 'object' ? k : doc.createTextNode(String(k)));
    }
    return e;
  }
  function table(caption, heads, rows, attrs) {
    const body = rows.length ? rows : [el('tr', { class: 'empty' }, el('td', { colspan: heads.length }, t('None.', '无。')))];
    return el('table', attrs || {}, el('caption', {}, caption),
      el('thead', {}, el('tr', {}, heads.map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, body));
  }
  function cell(label, ...kids) { return el('td', { 'data-label': label }, ...kids); }
  function say(id, text, cls) { const e = $(id); e.textContent = text; e.className = 'msg ' + (cls || ''); }
  const short = (k) => (typeof k === 'string' ? k.slice(0, 12) + '…' : '—');
  const time = (ms) => (typeof ms === 'number' ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '—');
  const enc = encodeURIComponent;

  // A trace code as the API takes it (01 + GTIN-14 + 10|21 + value), from a Digital Link
  // (URL or path) or the element string itself.
  function codeOf(input) {
    const s = String(input || '').trim();
    if (/^01\d{14}(10|21).+$/.test(s)) return s;
    let path = s;
    try { path = new URL(s, location.origin).pathname; } catch (e) { /* a path */ }
    const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
    const i = seg.indexOf('01');
    if (i >= 0 && /^\d{8,14}$/.test(seg[i + 1] || '')) {
      const gtin = seg[i + 1].padStart(14, '0');
      let batch = null, serial = null;
      for (let j = i + 2; j + 1 < seg.length; j += 2) {
        if (seg[j] === '10') batch = seg[j + 1];
        if (seg[j] === '21') serial = seg[j + 1];
      }
      if (serial !== null) return '01' + gtin + '21' + serial;
      if (batch !== null) return '01' + gtin + '10' + batch;
    }
    throw new Error(t('not a trace code or Digital Link of a unit', '不是追溯单元的编码或数字链接'));
  }

  // ---- sign in ----
  async function signIn() {
    const file = $('key-file').files[0];
    let text = $('key-text').value;
    if (file) {
      if (file.size > 4096) { say('who', t('That file is not a key file.', '该文件不是密钥文件。'), 'bad'); return; }
      text = await file.text();
    }
    // The key's text leaves the form at once.
    $('key-text').value = '';
    $('key-file').value = '';
    say('who', t('Signing in…', '正在登录…'));
    try {
      session = await S.signIn(text);
      text = null;
      const who = await session.readJson('/v1/whoami');
      let me = null;
      try { me = (await session.readJson('/v1/participants/' + session.publicHex)).participant; } catch (e) { me = null; }
      const cat = me && me.category;
      department = cat && cat.category === 'regulator' ? cat.kind : null;
      const role = who.read_at && who.read_at.role;
      const name = (me && me.name) || short(session.publicHex);
      say('who', t('Signed in as ', '已登录：') + name + ' · ' + t('chain ', '链 ') + session.chainId + ' · ' + t('role ', '角色 ') + role +
        (department ? ' · ' + t('department ', '部门 ') + department : '') +
        (role === 'regulator' ? '' : ' — ' + t('this console is for regulators; other views will refuse.', '本控制台供监管部门使用，其他视图将被拒绝。')),
        role === 'regulator' ? 'ok' : 'bad');
      $('who').dataset.role = role;
      $('key-form').hidden = true;
      $('console-js').hidden = true;
      $('tabs').hidden = false;
      $('sign-out').hidden = false;
      show('approvals');
    } catch (e) {
      session = null;
      say('who', t('Sign-in failed: ', '登录失败：') + e.message, 'bad');
    }
  }
  function signOut() {
    session = null;
    department = null;
    if (stream) stream.abort();
    // What the regulator read leaves the page with the key.
    for (const id of ['approvals', 'unit-out', 'recall-out', 'alerts-list', 'doc-out', 'blocks']) $(id).textContent = '';
    delete $('approvals').dataset.loaded;
    blocksFrom = null;
    $('tabs').hidden = true;
    $('sign-out').hidden = true;
    $('key-form').hidden = false;
    $('console-js').hidden = false;
    for (const s of doc.querySelectorAll('section.tab')) s.hidden = true;
    say('who', t('Signed out: the key is gone from this page.', '已退出：密钥已从本页清除。'));
    delete $('who').dataset.role;
  }

  // ---- tabs ----
  const loaders = {};
  function show(name) {
    for (const b of doc.querySelectorAll('#tabs button')) b.setAttribute('aria-selected', String(b.dataset.tab === name));
    for (const s of doc.querySelectorAll('section.tab')) s.hidden = s.id !== 'tab-' + name;
    if (loaders[name]) loaders[name]();
  }

  // ---- approvals ----
  function decisionCell(label, onDecide, verbs) {
    const id = 'r' + Math.random().toString(36).slice(2);
    const reason = el('input', { id, type: 'text', maxlength: 512, required: true, class: 'reason', placeholder: t('reason (required, on the ledger)', '理由（必填，上链）') });
    const out = el('span', { class: 'msg', role: 'status' });
    const buttons = verbs.map(([verb, text]) => el('button', {
      type: 'button', 'data-verdict': verb,
      onclick: async () => {
        const r = reason.value.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
        if (!r) { out.textContent = t('A reason is required.', '必须填写理由。'); out.className = 'msg bad'; reason.focus(); return; }
        for (const b of buttons) b.disabled = true;
        out.textContent = t('Signing and submitting…', '正在签名并提交…');
        out.className = 'msg';
        try {
          const done = await onDecide(verb, r);
          out.textContent = done;
          out.className = 'msg ok';
          out.dataset.done = 'true';
        } catch (e) {
          out.textContent = t('Refused: ', '被拒绝：') + e.message;
          out.className = 'msg bad';
          for (const b of buttons) b.disabled = false;
        }
      },
    }, text));
    return cell(t('Decision', '决定'), el('label', { for: id, class: 'sr' }, t('Reason', '理由')), reason, ' ', buttons, ' ', out);
  }
  const approveReject = [['approve', t('Approve', '批准')], ['reject', t('Reject', '驳回')]];
  function committed(a) {
    return t('Committed at block ', '已在区块 ') + a.height + t('', ' 提交');
  }

  async function decisionsText(path) {
    const f = await session.readJson(path);
    const ds = (f.decisions || []).map((d) => d.department + ': ' + d.verdict).join(', ');
    return t('status from the chain: ', '链上状态：') + f.status + (ds ? ' (' + ds + ')' : '');
  }

  loaders.approvals = async function () {
    const box = $('approvals');
    box.textContent = t('Loading…', '加载中…');
    const parts = [];
    const dep = department ? '?department=' + department : '';
    try {
      const [ps, prefixes, filings, decls] = await Promise.all([
        session.readJson('/v1/participants?state=pending'),
        session.readJson('/v1/queues/prefixes'),
        session.readJson('/v1/queues/filings' + dep),
        session.readJson('/v1/queues/declarations' + dep),
      ]);
      parts.push(table(t('Participants awaiting approval (R-A1, R-B5)', '待审批的参与方（R-A1、R-B5）'),
        [t('Participant', '参与方'), t('Category', '类别'), t('Country', '国家'), t('Registered at', '登记区块'), t('Decision', '决定')],
        (ps.participants || []).map((p) => el('tr', { 'data-kind': 'participant', 'data-key': p.key },
          cell(t('Participant', '参与方'), p.name || t('(a person)', '（自然人）'), el('br'), el('code', {}, short(p.key))),
          cell(t('Category', '类别'), p.category ? [p.category.category, p.category.kind].filter(Boolean).join(' / ') : '—'),
          cell(t('Country', '国家'), p.country || '—'),
          cell(t('Registered at', '登记区块'), p.registered_height),
          decisionCell(t('Decision', '决定'), async (verb, reason) => {
            const a = await session.submit(S.records.participantDecision(p.key, verb, reason));
            const now = (await session.readJson('/v1/participants/' + p.key)).participant;
            return committed(a) + ' · ' + t('state from the chain: ', '链上状态：') + now.state;
          }, approveReject))), { id: 'q-participants' }));
      parts.push(table(t('GS1 company prefix claims (R-I2)', 'GS1 厂商识别代码申请（R-I2）'),
        [t('Prefix', '前缀'), t('Claimant', '申请方'), t('Evidence (SHA-256)', '证明材料（SHA-256）'), t('Decision', '决定')],
        (prefixes.items || []).map((c) => el('tr', { 'data-kind': 'prefix', 'data-ref': c.prefix },
          cell(t('Prefix', '前缀'), c.prefix), cell(t('Claimant', '申请方'), el('code', {}, short(c.claimant))),
          cell(t('Evidence (SHA-256)', '证明材料（SHA-256）'), el('code', {}, short(c.evidence))),
          decisionCell(t('Decision', '决定'), async (verb, reason) => committed(await session.submit(S.records.prefixDecision(c.claimant, c.prefix, verb, reason))), approveReject))),
        { id: 'q-prefixes' }));
      // Each department's decision so far, read per row once the table is shown.
      const decided = (path, f) => {
        const c = cell(t('Decisions so far', '各部门已作决定'), '…');
        c.className = 'decisions';
        session.readJson(path + f.enterprise + '/' + enc(f.reference)).then((v) => {
          const ds = (v.decisions || []).map((d) => d.department + ': ' + d.verdict + (d.reason ? ' (' + d.reason + ')' : ''));
          c.textContent = ds.length ? ds.join('; ') : t('none yet', '暂无');
        }).catch((e) => { c.textContent = e.message; });
        return c;
      };
      const queue = (items, kind, caption, record, path) => table(caption,
        [t('Enterprise', '企业'), t('Reference', '编号'), t('Awaiting', '待审部门'), t('Decisions so far', '各部门已作决定'), t('Filed at', '提交区块'), t('Decision', '决定')],
        (items || []).map((f) => el('tr', { 'data-kind': kind, 'data-ref': f.reference },
          cell(t('Enterprise', '企业'), el('code', {}, short(f.enterprise))), cell(t('Reference', '编号'), f.reference),
          cell(t('Awaiting', '待审部门'), (f.awaiting || []).join(', ')), decided(path, f), cell(t('Filed at', '提交区块'), f.height),
          decisionCell(t('Decision', '决定'), async (verb, reason) => {
            const a = await session.submit(record(f.enterprise, f.reference, verb, reason));
            return committed(a) + ' · ' + await decisionsText(path + f.enterprise + '/' + enc(f.reference));
          }, approveReject))), { id: 'q-' + kind + 's' });
      parts.push(queue(filings.items, 'filing', t('Enterprise filings awaiting your department (R-B2)', '待本部门审批的企业备案（R-B2）'), S.records.filingDecision, '/v1/filings/'));
      parts.push(queue(decls.items, 'declaration', t('Export declarations awaiting your department (R-B3)', '待本部门审批的出口申报（R-B3）'), S.records.declarationDecision, '/v1/declarations/'));
      box.textContent = '';
      for (const p of parts) box.appendChild(p);
      box.dataset.loaded = 'true';
    } catch (e) {
      box.textContent = t('Could not load the queues: ', '无法加载待办：') + e.message;
    }
  };

  // ---- units: completeness and alerts ----
  async function unitReport(ev) {
    ev.preventDefault();
    const out = $('unit-out');
    out.textContent = '';
    let code;
    try { code = codeOf($('unit-code').value); } catch (e) { out.textContent = e.message; return; }
    try {
      const [c, a] = await Promise.all([
        session.readJson('/v1/trace/' + enc(code) + '/completeness'),
        session.readJson('/v1/trace/' + enc(code) + '/alerts'),
      ]);
      const r = c.report;
      out.appendChild(el('p', { class: r.complete ? 'banner ok' : 'banner warn', id: 'unit-verdict' },
        code + ' · ' + (r.complete ? t('complete: every mandatory category recorded (R-X2)', '完整：所有必填类别均已记录（R-X2）') : t('incomplete: mandatory categories missing (R-X2)', '不完整：缺少必填类别（R-X2）'))));
      out.appendChild(table(t('Completeness by category', '按类别的完整性'),
        [t('Category', '类别'), t('Rule', '规则'), t('Required', '要求'), t('Records', '记录数'), t('Status', '状态')],
        r.lines.map((l) => el('tr', { class: 'st-' + l.status },
          cell(t('Category', '类别'), l.category), cell(t('Rule', '规则'), l.rule), cell(t('Required', '要求'), l.requirement),
          cell(t('Records', '记录数'), l.records), cell(t('Status', '状态'), l.status + (l.missing_items && l.missing_items.length ? ' — ' + l.missing_items.join('; ') : ''))))));
      // A batch: the dashboard of every unit it reaches (its items first), each unit's
      // completeness and what it misses.
      if (/^01\d{14}10/.test(code)) out.appendChild(await batchDashboard(code));
      const scan = a.scan;
      out.appendChild(el('h3', {}, t('Alerts of this unit', '本单元告警')));
      const li = [];
      for (const s of a.sensor || []) li.push(el('li', {}, t('sensor excursion: ', '传感器超限：') + s));
      if (scan && scan.suspicious) for (const w of scan.why) li.push(el('li', {}, t('suspicious scan: ', '可疑扫描：') + w));
      out.appendChild(li.length ? el('ul', {}, li) : el('p', {}, t('No alert.', '无告警。')));
    } catch (e) {
      out.textContent = e.message;
    }
  }

  // The completeness of the trace units a batch reaches (at most DASHBOARD_UNITS, read a few
  // at a time), as a table: complete or not, and the mandatory categories missing.
  const DASHBOARD_UNITS = 200;
  async function batchDashboard(batch) {
    const impact = await session.readJson('/v1/recalls/' + enc(batch) + '/impact');
    const units = (impact.units || []).filter((u) => u !== batch).slice(0, DASHBOARD_UNITS);
    const rows = [];
    let complete = 0;
    for (let i = 0; i < units.length; i += 8) {
      const part = await Promise.all(units.slice(i, i + 8).map((u) =>
        session.readJson('/v1/trace/' + enc(u) + '/completeness').then((c) => c.report, (e) => ({ error: e.message }))));
      part.forEach((r, j) => {
        const u = units[i + j];
        if (r.error) { rows.push(el('tr', {}, cell(t('Unit', '单元'), u), cell(t('Complete', '完整'), '—'), cell(t('Missing', '缺少'), r.error))); return; }
        if (r.complete) complete += 1;
        const missing = r.lines.filter((l) => l.status === 'missing' || (l.status === 'partial' && l.requirement === 'mandatory')).map((l) => l.category);
        rows.push(el('tr', { 'data-unit': u, class: r.complete ? 'st-complete' : 'st-incomplete' },
          cell(t('Unit', '单元'), u), cell(t('Complete', '完整'), r.complete ? t('yes', '是') : t('no', '否')),
          cell(t('Missing', '缺少'), missing.length ? missing.join(', ') : '—')));
      });
    }
    const box = el('div', { id: 'dashboard' });
    box.appendChild(el('p', { id: 'dashboard-summary' }, t('Units this batch reaches: ', '本批次涉及单元：') + units.length + ' · ' +
      t('complete: ', '完整：') + complete + ' · ' + t('incomplete: ', '不完整：') + (units.length - complete) +
      ((impact.units || []).length - 1 > units.length ? t(' (the first ', '（仅前 ') + DASHBOARD_UNITS + t(' shown)', ' 个）') : '')));
    box.appendChild(table(t('Completeness of the batch’s units (R-X2)', '批次各单元完整性（R-X2）'), [t('Unit', '单元'), t('Complete', '完整'), t('Missing', '缺少')], rows));
    return box;
  }

  // ---- recall simulation ----
  async function recallSim(ev) {
    ev.preventDefault();
    const out = $('recall-out');
    out.textContent = '';
    let code;
    try { code = codeOf($('recall-code').value); } catch (e) { out.textContent = e.message; return; }
    const t0 = performance.now();
    let r;
    try { r = await session.readJson('/v1/recalls/' + enc(code) + '/impact'); } catch (e) { out.textContent = e.message; return; }
    const ms = Math.round(performance.now() - t0);
    const orders = (r.orders || []).map((o) => o.order_ref);
    out.appendChild(el('p', { class: 'banner warn', id: 'recall-summary' },
      t('Simulated (nothing written): ', '模拟（未写入）：') + (r.units || []).length + t(' units, ', ' 个单元，') +
      (r.countries || []).length + t(' countries, ', ' 个国家，') + (r.warehouses || []).length + t(' warehouses, ', ' 个仓库，') +
      (r.retailers || []).length + t(' retailers, ', ' 个零售商，') + orders.length + t(' orders', ' 个订单') +
      t(' — answered in ', ' —— 用时 ') + ms + ' ms' + (r.complete ? '' : t(' (incomplete: the walk hit its bound)', '（不完整：已达遍历上限）'))));
    out.appendChild(recallGraph(r.batch || code, [
      [t('units', '单元'), r.units || [], '#0645ad'],
      [t('countries', '国家'), r.countries || [], '#8b0000'],
      [t('warehouses', '仓库'), r.warehouses || [], '#5a3d00'],
      [t('retailers', '零售商'), r.retailers || [], '#0b3d1a'],
    ]));
    const list = (caption, items) => table(caption, [caption], items.slice(0, 500).map((x) => el('tr', {}, cell(caption, x))));
    out.appendChild(list(t('Affected units', '受影响单元'), r.units || []));
    out.appendChild(list(t('Countries', '国家'), r.countries || []));
    out.appendChild(list(t('Warehouses', '仓库'), r.warehouses || []));
    out.appendChild(list(t('Retailers', '零售商'), r.retailers || []));
    out.appendChild(list(t('Orders', '订单'), orders));
  }
  // The batch in the middle, each group on a ring around it (at most 24 nodes a group drawn;
  // the tables list all).
  function recallGraph(center, groups) {
    const NS = 'http://www.w3.org/2000/svg';
    const svg = doc.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', '-140 20 680 380');
    svg.setAttribute('class', 'graph');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', t('Recall graph: the batch and what it reaches', '召回关系图：批次及其影响范围'));
    const add = (tag, attrs, text) => {
      const e = doc.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
      if (text !== undefined) e.textContent = text;
      svg.appendChild(e);
      return e;
    };
    const nodes = [];
    groups.forEach(([name, items, color], g) => {
      const shown = items.slice(0, 24);
      shown.forEach((item, i) => {
        const a = (2 * Math.PI * i) / Math.max(shown.length, 1) + 0.35 + g * 1.3;
        const rad = 60 + g * 34;
        // A unit is named by what follows its GTIN (21 serial, 10 batch).
        const short = String(item).replace(/^01\d{14}/, '');
        nodes.push({ x: 200 + rad * Math.cos(a), y: 200 + rad * Math.sin(a), color, label: short, title: name + ': ' + item });
      });
    });
    for (const n of nodes) add('line', { x1: 200, y1: 200, x2: n.x.toFixed(1), y2: n.y.toFixed(1), stroke: '#bbb', 'stroke-width': 0.6 });
    for (const n of nodes) {
      add('circle', { cx: n.x.toFixed(1), cy: n.y.toFixed(1), r: 5, fill: n.color }).appendChild(
        Object.assign(doc.createElementNS(NS, 'title'), { textContent: n.title }));
      // Few nodes: each named beside its dot (the tables name all).
      if (nodes.length <= 16) {
        const right = n.x >= 200;
        add('text', { x: (n.x + (right ? 8 : -8)).toFixed(1), y: (n.y + 3).toFixed(1), 'font-size': 8, 'text-anchor': right ? 'start' : 'end' },
          n.label.length > 28 ? n.label.slice(0, 27) + '…' : n.label);
      }
    }
    add('circle', { cx: 200, cy: 200, r: 10, fill: '#111' });
    add('text', { x: 200, y: 188, 'text-anchor': 'middle', 'font-size': 10, 'font-weight': 'bold' }, center);
    let y = 330;
    for (const [name, items, color] of groups) {
      add('circle', { cx: -120, cy: y - 4, r: 5, fill: color });
      add('text', { x: -110, y, 'font-size': 11 }, name + ' (' + items.length + ')');
      y += 16;
    }
    return svg;
  }

  // ---- alerts: the event stream, signed ----
  let stream = null;
  async function alertsStart() {
    if (stream) return;
    const list = $('alerts-list');
    const st = await S.getJson('/v1/status');
    const from = Math.max(1, st.height - 50);
    stream = new AbortController();
    $('alerts-state').textContent = t('Following blocks from ', '正在跟踪区块，自 ') + from + '…';
    try {
      const r = await session.read('/v1/events?from=' + from, { signal: stream.signal, headers: { accept: 'text/event-stream' } });
      if (!r.ok) { const v = await r.json().catch(() => ({})); throw new Error(v.detail || 'HTTP ' + r.status); }
      const reader = r.body.getReader();
      const dec = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const raw = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let ev = 'message', data = '';
          for (const line of raw.split('\n')) {
            if (line.startsWith('event:')) ev = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).trim();
          }
          let d;
          try { d = JSON.parse(data); } catch (e) { continue; }
          if (ev === 'block') { $('alerts-state').textContent = t('Following: block ', '跟踪中：区块 ') + d.height; continue; }
          if (ev !== 'alert' && ev !== 'recall') continue;
          const what = ev === 'recall'
            ? t('recall ', '召回 ') + d.reference + t(' of batch ', '，批次 ') + d.batch
            : d.kind === 'suspicious_scan' ? t('suspicious scan of ', '可疑扫描：') + d.unit + (d.country ? ' (' + d.country + ')' : '')
            : d.kind === 'sensor_excursion' ? t('sensor excursion of ', '传感器超限：') + d.unit + ' (' + d.category + ', ' + d.excursions + ')'
            : d.kind === 'closed_loop_mismatch' ? t('closed loop mismatch: order ', '闭环不一致：订单 ') + d.order_ref + ' — ' + (d.reasons || []).join('; ')
            : d.kind;
          list.insertBefore(el('tr', { 'data-kind': d.kind || ev }, cell(t('Block', '区块'), d.height), cell(t('Kind', '类型'), d.kind || ev), cell(t('What', '内容'), what)), list.firstChild);
        }
      }
      $('alerts-state').textContent = t('The stream ended; start it again to go on.', '事件流已结束，可重新开始。');
    } catch (e) {
      if (e.name !== 'AbortError') $('alerts-state').textContent = e.message;
    } finally {
      stream = null;
    }
  }
  function alertsStop() { if (stream) stream.abort(); $('alerts-state').textContent = t('Stopped.', '已停止。'); }

  // ---- document check: hashed here, never uploaded ----
  async function docCheck() {
    const out = $('doc-out');
    out.textContent = '';
    const f = $('doc-file').files[0];
    if (!f) return;
    const h = S.toHex(await S.sha256(new Uint8Array(await f.arrayBuffer())));
    out.appendChild(el('p', {}, t('SHA-256 computed in this browser (the file was not sent): ', '已在本浏览器计算 SHA-256（文件未上传）：'), el('code', { id: 'doc-hash' }, h)));
    try {
      const v = await session.readJson('/v1/documents/' + h);
      out.appendChild(el('p', { class: v.valid ? 'banner ok' : 'banner warn', id: 'doc-verdict' },
        !v.anchored ? t('Not anchored on the chain.', '未在链上存证。') : v.valid ? t('Anchored and valid.', '已存证且有效。') : t('Anchored, not valid.', '已存证，但无效。')));
      out.appendChild(table(t('Anchors', '存证'), [t('Type', '类型'), t('Issuer', '签发方'), t('Anchored', '存证时间'), t('Units', '单元'), t('Status', '状态')],
        (v.anchors || []).map((a) => el('tr', {}, cell(t('Type', '类型'), typeof a.type === 'string' ? a.type : JSON.stringify(a.type)),
          cell(t('Issuer', '签发方'), a.issuer_name || short(a.issuer)), cell(t('Anchored', '存证时间'), time(a.anchored_ms)),
          cell(t('Units', '单元'), (a.units || []).join(', ')),
          cell(t('Status', '状态'), a.valid ? t('valid', '有效') : a.revoked ? t('revoked', '已撤销') : a.expired ? t('expired', '已过期') : !a.competent ? t('issuer not competent', '签发方无资质') : t('not valid', '无效'))))));
    } catch (e) {
      out.appendChild(el('p', {}, e.message));
    }
  }

  // ---- block explorer ----
  let blocksFrom = null;
  async function loadBlocks(older) {
    const box = $('blocks');
    try {
      if (!older || blocksFrom === null) {
        blocksFrom = (await S.getJson('/v1/status')).height;
        box.textContent = '';
      }
      const rows = [];
      const hs = [];
      for (let h = blocksFrom; h >= 1 && hs.length < 10; h--) hs.push(h);
      const blocks = await Promise.all(hs.map((h) => S.getJson('/v1/blocks/' + h)));
      for (const b of blocks) {
        const votes = (b.certificate && b.certificate.votes) || [];
        rows.push(el('tr', { 'data-height': b.height },
          cell(t('Height', '高度'), b.height), cell(t('Time', '时间'), time(b.header.timestamp_ms)),
          cell(t('View', '视图'), b.header.view > 0 ? t('view ', '视图 ') + b.header.view + t(' (after a view change)', '（视图切换后）') : '0'),
          cell(t('Proposer', '提议者'), el('code', {}, short(b.header.proposer))),
          cell(t('Transactions', '交易数'), (b.tx_ids || []).length),
          cell(t('Certificate', '提交证书'), t('signatures: ', '签名数：') + votes.length + ' — ' + votes.map((v) => short(v.validator)).join(' ')),
          cell(t('Hash', '哈希'), el('code', {}, short(b.block_hash)))));
      }
      blocksFrom = hs.length ? hs[hs.length - 1] - 1 : 0;
      let tb = box.querySelector('tbody');
      if (!tb) {
        box.appendChild(table(t('Blocks, newest first', '区块（最新在前）'),
          [t('Height', '高度'), t('Time', '时间'), t('View', '视图'), t('Proposer', '提议者'), t('Transactions', '交易数'), t('Certificate', '提交证书'), t('Hash', '哈希')], [], { id: 'blocks-table' }));
        tb = box.querySelector('tbody');
      }
      for (const e of tb.querySelectorAll('tr.empty')) e.remove();
      for (const r of rows) tb.appendChild(r);
      $('blocks-older').hidden = blocksFrom < 1;
    } catch (e) {
      box.textContent = e.message;
    }
  }
  loaders.blocks = () => loadBlocks(false);

  function init() {
    $('sign-in').addEventListener('click', signIn);
    $('sign-out').addEventListener('click', signOut);
    for (const b of doc.querySelectorAll('#tabs button')) b.addEventListener('click', () => show(b.dataset.tab));
    $('unit-form').addEventListener('submit', unitReport);
    $('recall-form').addEventListener('submit', recallSim);
    $('alerts-start').addEventListener('click', alertsStart);
    $('alerts-stop').addEventListener('click', alertsStop);
    $('doc-file').addEventListener('change', docCheck);
    $('blocks-older').addEventListener('click', () => loadBlocks(true));
    $('console-js').textContent = t('Ready: sign in with your participant key.', '就绪：请用参与方密钥登录。');
  }
  if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', init);
  else init();
})();
