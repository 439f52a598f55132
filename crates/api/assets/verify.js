// tracechain: the consumer page re-checks what it shows (issue 15, ADR 0089).
//
// The page carries, in <script type="application/json" id="tc-proofs">, the certified header
// of the height it was read at and the state proofs of the facts it shows. This script checks,
// with the browser's WebCrypto only (SHA-256 and Ed25519), that
//   * the header's hash is the one a quorum of the trusted validator set signed (the commit
//     certificate), and the page's footer names that block and state root;
//   * the unit's registration (`tu/{code}`) is in that state, for the code of this page's
//     address, with the product name the page shows;
//   * each recall the answer proves (`rcl/n/…` of the unit or its batch) is in that state, and
//     the page shows it in its banner;
//   * a customs status shown as recorded has its customs record indexed under the unit or its
//     batch (`tur/{code}/C2/…`);
//   * every certificate shown is a proven certificate fact of the unit or its batch
//     (`dcp/{code}/{blind}`, a key that does not give the document's hash away), shown with its
//     type, issuer, anchoring time and its status at the block's time.
// It is the same algorithm as `tracechain_api::proof::verify_fact` (Rust), and is tested
// against it on the same vectors (crates/api/tests/browser.rs).
//
// Trust: the validator set is pinned on this device (localStorage) the first time a page of
// the chain verifies; later pages must be certified by the same set. The set's fingerprint is
// shown so it can be compared with the one the consortium publishes.
'use strict';
(function (root) {
  const te = new TextEncoder();
  const td = new TextDecoder('utf-8', { fatal: true });

  const BLOCK_DOMAIN = 'tracechain/block/v1';
  const COMMIT_DOMAIN = 'tracechain/commit/v1';
  const SET_DOMAIN = 'tracechain/validator-set/v1';
  const KEY_DOMAIN = 'tracechain/state-key/v1';
  const VALUE_DOMAIN = 'tracechain/state-value/v1';
  const LEAF_DOMAIN = 'tracechain/state-leaf/v1';
  const NODE_DOMAIN = 'tracechain/state-node/v1';
  const STATE_PROOF_VERSION = 1;
  const KEY_BITS = 256;
  // As the Rust verifier: a value of up to 1 MiB plus 256 siblings and framing.
  const MAX_STATE_PROOF_BYTES = 1024 * 1024 + 16 * 1024;
  const MAX_SET = 256;

  class VerifyError extends Error {}
  const fail = (m) => { throw new VerifyError(m); };

  // ---- bytes ----
  function hex(h, len, what) {
    if (typeof h !== 'string' || !/^[0-9a-fA-F]*$/.test(h) || h.length % 2 !== 0 ||
        (len !== undefined && h.length !== 2 * len)) fail(what + ' is not ' + (len ? len + ' bytes of ' : '') + 'hex');
    const out = new Uint8Array(h.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(2 * i, 2), 16);
    return out;
  }
  function toHex(b) {
    let s = '';
    for (const x of b) s += x.toString(16).padStart(2, '0');
    return s;
  }
  function b64(s, what) {
    if (typeof s !== 'string') fail(what + ' is not base64');
    // Strict, as the Rust decoder: padded, canonical (atob alone forgives both).
    if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) fail(what + ' is not base64');
    let bin;
    try { bin = atob(s); } catch (e) { fail(what + ' is not base64'); }
    if (btoa(bin) !== s) fail(what + ' is not base64');
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function concat(...parts) {
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }
  function eq(a, b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  function cmp(a, b) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
    return a.length - b.length;
  }
  function u32le(n) { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n, true); return b; }
  function u32be(n) { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n, false); return b; }
  function u64(n, what) {
    if (!Number.isSafeInteger(n) || n < 0) fail(what + ' is not an integer this browser can check');
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
    return b;
  }
  function str(s, what) {
    if (typeof s !== 'string') fail(what + ' is not text');
    const b = te.encode(s);
    return concat(u32le(b.length), b);
  }

  // ---- hashing (SHA-256 through WebCrypto) ----
  function subtle() {
    if (!root.crypto || !root.crypto.subtle) fail('this browser offers no WebCrypto here (the page must be served over HTTPS or from this device)');
    return root.crypto.subtle;
  }
  async function sha256(bytes) { return new Uint8Array(await subtle().digest('SHA-256', bytes)); }
  async function tagged(domain, ...parts) {
    const d = te.encode(domain);
    return sha256(concat(u32be(d.length), d, ...parts));
  }
  async function ed25519Verify(pk, msg, sig) {
    let key;
    try {
      key = await subtle().importKey('raw', pk, { name: 'Ed25519' }, false, ['verify']);
    } catch (e) {
      return false; // not a valid public key
    }
    try {
      return await subtle().verify({ name: 'Ed25519' }, key, sig, msg);
    } catch (e) {
      return false;
    }
  }

  // ---- headers, validator sets, certificates ----
  function encodeHeader(h) {
    if (!h || typeof h !== 'object') fail('header does not decode');
    return concat(
      str(h.chain_id, 'chain id'), u64(h.height, 'height'), u64(h.view, 'view'),
      hex(h.parent, 32, 'parent'), u64(h.timestamp_ms, 'timestamp'), hex(h.tx_root, 32, 'tx root'),
      hex(h.state_root, 32, 'state root'), hex(h.proposer, 32, 'proposer'),
      hex(h.validator_set_hash, 32, 'validator set hash'));
  }
  async function blockHash(h) { return tagged(BLOCK_DOMAIN, encodeHeader(h)); }

  // A validator set as its JSON (a list of {public_key, name}), sorted as the Rust set keeps it.
  function validatorSet(list) {
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_SET) fail('validator set does not decode');
    const vs = list.map((v) => ({ key: hex(v && v.public_key, 32, 'validator key'), name: v.name }));
    vs.sort((a, b) => cmp(a.key, b.key));
    for (let i = 1; i < vs.length; i++) if (eq(vs[i - 1].key, vs[i].key)) fail('validator set names a key twice');
    return vs;
  }
  async function setHash(vs) {
    const parts = [u32le(vs.length)];
    for (const v of vs) parts.push(v.key, str(v.name, 'validator name'));
    return tagged(SET_DOMAIN, concat(...parts));
  }
  function quorum(n) { const f = Math.floor((n - 1) / 3); return Math.floor((n + f) / 2) + 1; }

  // The commit certificate `c` certifies header `h` (hash `hh`) by the set `vs`.
  async function verifyCertificate(h, hh, c, vs) {
    if (!c || !Array.isArray(c.votes)) fail('certificate does not decode');
    if (c.height !== h.height || !eq(hex(c.block_hash, 32, 'certified hash'), hh)) fail('the certificate is for another block');
    const votes = c.votes.map((v) => ({ key: hex(v && v.validator, 32, 'voter'), sig: hex(v && v.signature, 64, 'vote signature') }));
    for (let i = 1; i < votes.length; i++) if (cmp(votes[i - 1].key, votes[i].key) >= 0) fail('certificate votes are not strictly ascending (duplicate or unsorted)');
    for (const v of votes) if (!vs.some((x) => eq(x.key, v.key))) fail('certificate vote from ' + toHex(v.key) + ', which is not a trusted validator');
    const need = quorum(vs.length);
    if (votes.length < need) fail('certificate has ' + votes.length + ' votes, a quorum is ' + need);
    const msg = concat(te.encode(COMMIT_DOMAIN), str(h.chain_id, 'chain id'), u64(c.height, 'height'), u64(c.view, 'view'), hh);
    const ok = await Promise.all(votes.map((v) => ed25519Verify(v.key, msg, v.sig)));
    ok.forEach((good, i) => { if (!good) fail('certificate signature of ' + toHex(votes[i].key) + ' does not verify'); });
    return { votes: votes.length, of: vs.length, quorum: need };
  }

  // The header of `height` in `base`: of the trusted chain, naming the trusted set, certified
  // by a quorum of it. `trust` = {chain_id, validators: [{public_key, name}]}.
  // Certified headers already checked, per answer and trust: a page proves many facts at one
  // height, and each would otherwise check the same certificate again.
  const checked = new WeakMap();
  async function certified(base, trust, height) {
    const memo = base && typeof base === 'object' ? (checked.get(base) || new Map()) : null;
    const id = height + '|' + JSON.stringify(trust);
    if (memo && memo.has(id)) return memo.get(id);
    const r = await certifiedOnce(base, trust, height);
    if (memo) { memo.set(id, r); checked.set(base, memo); }
    return r;
  }
  async function certifiedOnce(base, trust, height) {
    const ch = base && base.headers && base.headers[String(height)];
    if (!ch || !ch.header || ch.header.height !== height) fail('no certified header of height ' + height + ' in the answer');
    const h = ch.header;
    if (h.chain_id !== trust.chain_id) fail('height ' + height + ': the header is of chain ' + h.chain_id);
    const vs = validatorSet(trust.validators);
    const vsh = await setHash(vs);
    if (!eq(vsh, hex(h.validator_set_hash, 32, 'validator set hash'))) fail('height ' + height + ': the header names a validator set that is not trusted');
    const hh = await blockHash(h);
    const cert = await verifyCertificate(h, hh, ch.certificate, vs);
    return { header: h, hash: hh, cert };
  }

  // ---- the authenticated state map (ADR 0050) ----
  function reader(bytes) {
    let o = 0;
    const take = (n) => { if (o + n > bytes.length) fail('state proof does not decode'); const s = bytes.subarray(o, o + n); o += n; return s; };
    return {
      u8: () => take(1)[0],
      u32: () => new DataView(take(4).slice().buffer).getUint32(0, true),
      take,
      done: () => o === bytes.length,
    };
  }
  function decodeStateProof(bytes) {
    if (bytes.length > MAX_STATE_PROOF_BYTES) fail('state proof does not decode: too large');
    const r = reader(bytes);
    const version = r.u8();
    const n = r.u32();
    if (n > (bytes.length - 5) / 32) fail('state proof does not decode');
    const siblings = [];
    for (let i = 0; i < n; i++) siblings.push(r.take(32));
    const tag = r.u8();
    let leaf;
    if (tag === 0) { const len = r.u32(); leaf = { present: r.take(len) }; }
    else if (tag === 1) leaf = { empty: true };
    else if (tag === 2) leaf = { otherKey: r.take(32), otherValue: r.take(32) };
    else fail('state proof does not decode');
    if (!r.done()) fail('state proof does not decode: bytes after its end');
    if (version !== STATE_PROOF_VERSION) fail('state proof version ' + version + ' is not supported');
    return { siblings, leaf };
  }
  const bit = (kh, i) => ((kh[i >> 3] >> (7 - (i & 7))) & 1) === 1;
  function commonPrefixBits(a, b) {
    for (let i = 0; i < 32; i++) {
      const d = a[i] ^ b[i];
      if (d !== 0) return i * 8 + Math.clz32(d) - 24;
    }
    return 256;
  }
  async function rootFromProof(key, p) {
    const depth = p.siblings.length;
    if (depth > KEY_BITS) fail('state proof has ' + depth + ' siblings, at most 256 are possible');
    if (depth > 0 && p.siblings[depth - 1].every((x) => x === 0)) fail('state proof is not canonical');
    const kh = await tagged(KEY_DOMAIN, key);
    let h;
    if (p.leaf.present) h = await tagged(LEAF_DOMAIN, kh, await tagged(VALUE_DOMAIN, p.leaf.present));
    else if (p.leaf.empty) h = new Uint8Array(32);
    else {
      const shared = commonPrefixBits(p.leaf.otherKey, kh);
      if (shared === KEY_BITS) fail("exclusion proof names the requested key's own leaf");
      if (shared < depth) fail("exclusion proof's other leaf is off the key's path");
      h = await tagged(LEAF_DOMAIN, p.leaf.otherKey, p.leaf.otherValue);
    }
    for (let i = depth - 1; i >= 0; i--) {
      h = bit(kh, i) ? await tagged(NODE_DOMAIN, p.siblings[i], h) : await tagged(NODE_DOMAIN, h, p.siblings[i]);
    }
    return h;
  }

  // What the state held under `key` at the fact's height: the value (present) or null
  // (proven absent). Fails unless the header is certified under `trust` and the proof leads to
  // its state root. The caller names the key it expects.
  async function verifyFact(base, trust, key, fact) {
    if (!fact || typeof fact !== 'object') fail('no proof');
    const ch = await certified(base, trust, fact.height);
    if (!eq(hex(fact.key, undefined, 'proof key'), key)) fail('the proof is of another key');
    const p = decodeStateProof(b64(fact.proof, 'proof'));
    const root = await rootFromProof(key, p);
    if (!eq(root, hex(ch.header.state_root, 32, 'state root'))) fail('the state proof leads to another root than the certified one');
    return p.leaf.present ? p.leaf.present : null;
  }

  // ---- state keys (contracts/src/state_keys.rs) ----
  function part(bytes) {
    const out = [];
    for (const b of bytes) { if (b === 0) out.push(0, 0xff); else out.push(b); }
    return Uint8Array.from(out);
  }
  function stateKey(prefix, parts) {
    const out = [te.encode(prefix)];
    parts.forEach((p, i) => { if (i > 0) out.push(Uint8Array.of(0, 1)); out.push(part(p)); });
    return concat(...out);
  }
  // A normalised code: 01 + GTIN-14 + (10 batch | 21 serial).
  function parseCode(text) {
    const m = typeof text === 'string' && /^01(\d{14})(10|21)(.+)$/.exec(text);
    if (!m) fail('not a trace code: ' + text);
    return { gtin: m[1], kind: m[2] === '10' ? 'batch' : 'item', value: m[3], text };
  }
  function codeOfPath(path) {
    const seg = path.split('/').filter((s) => s.length > 0).map((s) => decodeURIComponent(s));
    const i = seg.indexOf('01');
    if (i < 0 || !/^\d{8,14}$/.test(seg[i + 1] || '')) fail('this page is not at a Digital Link of a unit');
    const gtin = seg[i + 1].padStart(14, '0');
    let batch = null, serial = null;
    for (let j = i + 2; j + 1 < seg.length; j += 2) {
      if (seg[j] === '10') batch = seg[j + 1];
      if (seg[j] === '21') serial = seg[j + 1];
    }
    if (serial !== null) return parseCode('01' + gtin + '21' + serial);
    if (batch !== null) return parseCode('01' + gtin + '10' + batch);
    fail('this page is not at a Digital Link of a unit');
  }
  function encodeTraceCode(c) {
    return concat(Uint8Array.of(c.kind === 'batch' ? 0 : 1), str(c.gtin, 'gtin'), str(c.value, 'code'));
  }
  function decodeTraceCode(r) {
    const tag = r.u8();
    if (tag > 1) fail('registration does not decode');
    const gtin = td.decode(r.take(r.u32()));
    const value = td.decode(r.take(r.u32()));
    return parseCode('01' + gtin + (tag === 0 ? '10' : '21') + value);
  }
  // The stored registration (`TraceUnit`, Borsh): code, mode, product name, registrant, height,
  // batch.
  function decodeTraceUnit(bytes) {
    const r = reader(bytes);
    try {
      const code = decodeTraceCode(r);
      if (r.u8() > 2) fail('registration does not decode');
      const productName = td.decode(r.take(r.u32()));
      const registrant = toHex(r.take(32));
      r.take(8);
      const hasBatch = r.u8();
      const batch = hasBatch === 1 ? decodeTraceCode(r) : hasBatch === 0 ? null : fail('registration does not decode');
      if (!r.done()) fail('registration does not decode');
      return { code, productName, registrant, batch };
    } catch (e) {
      if (e instanceof VerifyError) throw e;
      fail('registration does not decode');
    }
  }
  // A certificate's fact (`CertificateFact`, Borsh): type, issuer, competence, anchoring
  // height and time, validity, revocation height.
  const DOCUMENT_TYPES = ['registration', 'sanitary_certificate', 'certificate_of_origin', 'test_report', 'certification', 'other'];
  function decodeCertificateFact(bytes) {
    const r = reader(bytes);
    const i64 = () => Number(new DataView(r.take(8).slice().buffer).getBigInt64(0, true));
    const u64r = () => Number(new DataView(r.take(8).slice().buffer).getBigUint64(0, true));
    const option = (read) => { const tag = r.u8(); return tag === 0 ? null : tag === 1 ? read() : fail('certificate does not decode'); };
    const type = DOCUMENT_TYPES[r.u8()];
    if (type === undefined) fail('certificate does not decode');
    const issuer = toHex(r.take(32));
    const comp = r.u8();
    if (comp > 1) fail('certificate does not decode');
    const height = u64r();
    const timestampMs = u64r();
    const validFromMs = i64();
    const validUntilMs = option(i64);
    const revokedHeight = option(u64r);
    if (!r.done()) fail('certificate does not decode');
    return { type, issuer, competent: comp === 1, height, timestampMs, validFromMs, validUntilMs, revokedHeight };
  }
  // As the page judges it at the block time `at`.
  function certificateStatus(f, at) {
    const expired = f.validUntilMs !== null && at >= f.validUntilMs;
    if (f.competent && f.revokedHeight === null && !expired && at >= f.validFromMs) return 'valid';
    if (f.revokedHeight !== null) return 'revoked';
    if (expired) return 'expired';
    if (!f.competent) return 'not-competent';
    return 'not-valid';
  }
  const STATUS_TEXT = {
    en: { valid: 'valid, issued by a competent issuer', revoked: 'revoked', expired: 'expired', 'not-competent': 'issuer not competent for this document', 'not-valid': 'not valid' },
    zh: { valid: '有效，签发方具备资质', revoked: '已撤销', expired: '已过期', 'not-competent': '签发方不具备该文件资质', 'not-valid': '无效' },
  };
  // `2026-12-01 08:00 UTC`, as the page writes times.
  function utc(ms) { const d = new Date(ms).toISOString(); return d.slice(0, 10) + ' ' + d.slice(11, 16) + ' UTC'; }
  // The one 32-byte part after `prefix` in `key` (zero bytes escaped as in state keys).
  function lastPart32(key, prefix) {
    if (key.length <= prefix.length || !eq(key.subarray(0, prefix.length), prefix)) return null;
    const out = [];
    for (let i = prefix.length; i < key.length; i++) {
      if (key[i] !== 0) { out.push(key[i]); continue; }
      if (key[i + 1] !== 0xff) return null;
      out.push(0);
      i++;
    }
    return out.length === 32 ? out : null;
  }

  const keys = {
    traceUnit: (c) => stateKey('tu/', [te.encode(c.text)]),
    recall: (c, issuer, ref) => stateKey('rcl/n/', [concat(Uint8Array.of(0), encodeTraceCode(c)), hex(issuer, 32, 'recall issuer'), te.encode(ref)]),
    customsPrefix: (c) => concat(stateKey('tur/', [te.encode(c.text), te.encode('C2')]), Uint8Array.of(0, 1)),
    certificatePrefix: (c) => concat(stateKey('dcp/', [te.encode(c.text)]), Uint8Array.of(0, 1)),
  };

  // ---- the page ----
  const T = {
    en: {
      checking: 'Checking this page against the validators’ signatures…',
      verified: 'Verified against the validators’ signatures',
      failed: 'Verification FAILED — do not rely on this page',
      block: (h, c) => 'block ' + h + ' certified by ' + c.votes + ' of ' + c.of + ' validators (quorum ' + c.quorum + ')',
      set: (chain, fp, first) => 'chain ' + chain + ', validator set ' + fp + (first ? ' (first check of this site on this device: pinned now; compare the fingerprint with the one the consortium publishes)' : ' (as pinned for this site on this device)'),
      readAt: (t) => 'read at the block of ' + t,
      nodeWord: 'the node’s word, not proven here: that no other recall or certificate exists, the customs status’s value, the producer’s and issuers’ names, the origin, the brand and production date and place, the journey and the scans',
      code: 'this check runs the code this node served: it catches wrong data, not a node that changes its code (check the JSON answer with tracechain proof verify, or at another node)',
      recalled: 'RECALLED: do not use this product. Contact the seller or the regulator.',
      customsNone: ['No customs status recorded yet', 'Not applicable'],
      registration: 'registration of this code and its product name proven',
      recall: (r) => 'recall ' + r + ' proven',
      customs: 'customs record of this unit proven',
      certificates: (n) => n + ' certificate(s) proven: type, issuer key, competence, anchoring time, validity, revocation',
      noRecallProof: 'a recall through an upstream material is shown by the node; its proof is not public',
      unprovenRecall: 'the recall banner names no recall this answer proves',
    },
    zh: {
      checking: '正在依据验证节点签名核验本页…',
      verified: '已依据验证节点签名核验',
      failed: '核验失败——请勿信任本页内容',
      block: (h, c) => '区块 ' + h + ' 由 ' + c.of + ' 个验证节点中的 ' + c.votes + ' 个签名确认（法定数 ' + c.quorum + '）',
      set: (chain, fp, first) => '链 ' + chain + '，验证节点集合 ' + fp + (first ? '（本设备首次核验此站点：已记录；请与联盟公布的指纹核对）' : '（与本设备为此站点记录的一致）'),
      readAt: (t) => '读取区块时间 ' + t,
      nodeWord: '以下以节点所述为准、未在此证明：不存在其他召回或证书、海关状态取值、生产商与签发方名称、原产地、品牌与生产日期和地点、物流轨迹与扫描记录',
      code: '本核验运行的是本节点提供的代码：可发现错误数据，但无法发现节点修改自身代码（可用 tracechain proof verify 或在其他节点核验 JSON 应答）',
      recalled: '已召回：请勿使用本产品，请联系销售方或监管部门。',
      customsNone: ['尚无海关通关状态记录', '不适用'],
      registration: '本码登记及品名已证明',
      recall: (r) => '召回 ' + r + ' 已证明',
      customs: '本单元海关记录已证明',
      certificates: (n) => n + ' 份证书已证明：类型、签发方密钥、资质、存证时间、有效期、撤销',
      noRecallProof: '经上游原料的召回由节点显示，其证明不公开',
      unprovenRecall: '召回横幅中的召回未在本应答中得到证明',
    },
  };

  const PIN = 'tracechain.validators.';

  // Check the page `doc` at `path` against its embedded proofs. Returns {ok, lines, pin}.
  // The ids the check reads: each must be on the page once.
  const CHECKED_IDS = ['tc-proofs', 'product', 'product-name', 'code', 'batch', 'recall', 'customs', 'certificates',
    'read-height', 'read-block', 'read-root', 'verify', 'verify-status', 'verify-details'];
  // Shown: not hidden by the page (no layout box means hidden, whatever the style said).
  function visible(e) {
    if (e.getClientRects().length === 0) return false;
    const cs = (e.ownerDocument.defaultView || root).getComputedStyle(e);
    return cs.visibility !== 'hidden' && parseFloat(cs.opacity) > 0.2 && parseFloat(cs.fontSize) >= 8;
  }

  async function verifyPage(doc, path, storage, origin) {
    const lang = (doc.documentElement.lang || 'en').startsWith('zh') ? 'zh' : 'en';
    const t = T[lang];
    const lines = [];
    for (const id of CHECKED_IDS) {
      if (doc.querySelectorAll('[id="' + id + '"]').length > 1) fail('the page has two elements named ' + id);
    }
    const el = doc.getElementById('tc-proofs');
    if (!el) fail('the page carries no proofs');
    let data;
    try { data = JSON.parse(el.textContent); } catch (e) { fail('the proofs do not decode'); }
    const base = data.proofs;
    const height = data.read_at && data.read_at.height;
    const ch = base && base.headers && base.headers[String(height)];
    if (!ch || !ch.header) fail('no certified header of height ' + height + ' in the answer');
    const chain = ch.header.chain_id;
    // Trust: the set pinned for this chain, or (first visit) the set the answer names.
    // Pinned per site (the origin a code's QR leads to), not per the chain the answer names.
    let pinned = null;
    try { pinned = JSON.parse(storage.getItem(PIN + origin) || 'null'); } catch (e) { pinned = null; }
    let validators;
    if (pinned && Array.isArray(pinned.validators)) {
      if (pinned.chain_id !== chain) fail('the answer is of chain ' + chain + ', this site was pinned to chain ' + pinned.chain_id);
      validators = pinned.validators;
    } else {
      validators = base.validator_sets && base.validator_sets[ch.header.validator_set_hash];
      if (!validators) fail('the answer names no validator set');
    }
    const trust = { chain_id: chain, validators };
    const c = await certified(base, trust, height);
    const fp = toHex(await setHash(validatorSet(validators))).slice(0, 32);
    lines.push(t.block(height, c.cert));
    lines.push(t.set(chain, fp, !pinned));
    lines.push(t.readAt(utc(c.header.timestamp_ms)));
    // Every proof of the page is of the height it was read at: an older, genuine proof (of a
    // certificate before its revocation, say) is not evidence of now.
    const at = (fact) => { if (!fact || fact.height !== height) fail('a proof is of another height than the page'); return fact; };
    // The footer names this block and state root.
    const text = (id) => { const e = doc.getElementById(id); return e ? e.textContent.trim() : null; };
    if (text('read-height') !== String(height)) fail('the page names another height than the certified one');
    if (text('read-block') !== toHex(c.hash)) fail('the page names another block than the certified one');
    if (text('read-root') !== c.header.state_root) fail('the page names another state root than the certified one');
    // The unit: the code of this page's address, registered with the product name shown.
    const code = codeOfPath(path);
    const reg = await verifyFact(base, trust, keys.traceUnit(code), at(data.registration_proof));
    if (!reg) fail('the unit of this address is proven absent');
    const unit = decodeTraceUnit(reg);
    if (unit.code.text !== code.text) fail('the registration is of another code');
    if (text('product') !== unit.productName || text('product-name') !== unit.productName) fail('the product name shown is not the registered one');
    if (text('code') !== code.text) fail('the code shown is not this page’s');
    if (text('batch') !== (unit.batch ? unit.batch.text : code.text)) fail('the batch shown is not the registered one');
    for (const id of ['product', 'product-name', 'code', 'batch', 'verify-status']) {
      if (!visible(doc.getElementById(id))) fail('a checked part of the page is hidden: ' + id);
    }
    lines.push(t.registration);
    const units = [code.text].concat(unit.batch ? [unit.batch.text] : []);
    // Recalls: each proven one must be in the banner.
    const banner = doc.getElementById('recall');
    const shownRefs = banner ? Array.from(banner.querySelectorAll('.ref')).map((e) => e.textContent) : [];
    let proven = 0;
    let upstream = false;
    for (const r of data.recalls || []) {
      if (!r.proof) { upstream = true; continue; }
      if (!units.includes(r.recalled_unit)) fail('a recall proof is of another unit');
      const v = await verifyFact(base, trust, keys.recall(parseCode(r.recalled_unit), r.issuer, r.reference), at(r.proof));
      if (v === null) fail('a recall the answer lists is proven absent');
      if (!shownRefs.includes(r.reference)) fail('a proven recall (' + r.reference + ') is not shown in the banner');
      lines.push(t.recall(r.reference));
      proven += 1;
    }
    if (upstream) lines.push(t.noRecallProof);
    if (banner && proven === 0 && !upstream) lines.push(t.unprovenRecall);
    if (proven > 0) {
      if (!visible(banner)) fail('the recall banner is hidden');
      // The banner says what the recall means in the verifier's own words.
      const refs = Array.from(banner.querySelectorAll('.ref'));
      banner.className = 'banner recall';
      banner.textContent = t.recalled + ' ';
      refs.forEach((r, i) => { if (i > 0) banner.appendChild(doc.createTextNode(', ')); banner.appendChild(r); });
    }
    // Customs.
    const customs = doc.getElementById('customs');
    // Anything but "no status recorded" / "not applicable" claims a customs record: it must be
    // proven, whatever the element's attributes say.
    const unclaimed = T[lang].customsNone;
    if (customs && (customs.dataset.recorded === 'true' || !unclaimed.includes(customs.textContent.trim()))) {
      const p = data.customs_proof;
      if (!p) fail('the customs status is shown as recorded without a proof');
      const k = hex(p.key, undefined, 'proof key');
      const under = units.some((u) => { const pre = keys.customsPrefix(parseCode(u)); return k.length > pre.length && eq(k.subarray(0, pre.length), pre); });
      if (!under) fail('the customs proof is of another unit or category');
      if ((await verifyFact(base, trust, k, at(p))) === null) fail('the customs record is proven absent');
      if (!visible(customs)) fail('the customs status is hidden');
      lines.push(t.customs);
    }
    // Certificates: every row shown is a proven fact of this unit or its batch, shown as it
    // is (type, issuer, anchoring time, status at the block's time), in the answer's order.
    const rows = Array.from(doc.querySelectorAll('#certificates tbody tr'));
    const certs = Array.isArray(data.certificates) ? data.certificates : [];
    // Every certificate-looking row anywhere is one of these (none in another table, head or foot).
    const anyRows = doc.querySelectorAll('tr[data-issuer], tr[data-status], #certificates tr, #certificates td');
    const inBody = doc.querySelectorAll('#certificates tbody tr, #certificates tbody td, #certificates thead tr').length;
    if (anyRows.length !== inBody) fail('a certificate is shown outside the proven table');
    if (rows.length !== certs.length) fail('the certificates shown are not the ones the answer proves');
    const seen = new Set();
    for (let i = 0; i < rows.length; i++) {
      const cert = certs[i], row = rows[i];
      if (!cert || !cert.proof) fail('a certificate has no proof');
      if (seen.has(cert.proof.key)) fail('two certificates shown by one proof');
      seen.add(cert.proof.key);
      if (!units.includes(cert.unit)) fail('a certificate proof is of another unit');
      const k = hex(cert.proof.key, undefined, 'proof key');
      if (!lastPart32(k, keys.certificatePrefix(parseCode(cert.unit)))) fail('a certificate proof is not of a certificate of this unit');
      const v = await verifyFact(base, trust, k, at(cert.proof));
      if (v === null) fail('a certificate shown is proven absent');
      if (!visible(row)) fail('a certificate row is hidden');
      const f = decodeCertificateFact(v);
      const status = certificateStatus(f, c.header.timestamp_ms);
      const cellText = (cls) => { const e = row.querySelector(cls); return e ? e.textContent : null; };
      if (row.dataset.issuer !== f.issuer) fail('a certificate is shown with another issuer');
      if (cellText('.c-type') !== f.type) fail('a certificate is shown as another type');
      if (cellText('.c-anchored') !== utc(f.timestampMs)) fail('a certificate is shown with another anchoring time');
      if (row.dataset.status !== status || cellText('.c-status') !== STATUS_TEXT[lang][status]) fail('a certificate is shown as ' + row.dataset.status + ', the chain says ' + status);
    }
    if (rows.length) lines.push(t.certificates(rows.length));
    lines.push(t.nodeWord);
    lines.push(t.code);
    return { ok: true, lines, pin: pinned ? null : { key: PIN + origin, value: JSON.stringify({ chain_id: chain, validators, pinned_at: Date.now() }) } };
  }

  // Run on the page: show the verdict in #verify.
  async function run() {
    const doc = root.document;
    const status = doc.getElementById('verify-status');
    const list = doc.getElementById('verify-details');
    if (!status || !list || !doc.getElementById('tc-proofs')) return;
    const lang = (doc.documentElement.lang || 'en').startsWith('zh') ? 'zh' : 'en';
    status.textContent = T[lang].checking;
    status.className = 'banner muted';
    let storage;
    try { storage = root.localStorage; storage.getItem('x'); } catch (e) { storage = { getItem: () => null, setItem: () => { throw new Error('no storage'); } }; }
    const show = (cls, head, lines) => {
      status.textContent = head;
      status.className = 'banner ' + cls;
      status.dataset.verdict = cls === 'ok' ? 'verified' : 'failed';
      list.textContent = '';
      for (const l of lines) { const li = doc.createElement('li'); li.textContent = l; list.appendChild(li); }
    };
    try {
      const r = await verifyPage(doc, root.location.pathname, storage, root.location.origin);
      if (r.pin) {
        try { storage.setItem(r.pin.key, r.pin.value); } catch (e) {
          r.lines.push(lang === 'zh' ? '本设备无法记录验证节点集合（隐私模式？）：下次仍视为首次' : 'this device could not pin the validator set (private mode?): the next check is a first one again');
        }
      }
      show('ok', T[lang].verified, r.lines);
    } catch (e) {
      show('recall', T[lang].failed, [e instanceof VerifyError ? e.message : 'error: ' + e]);
    }
  }

  root.tracechainVerify = {
    certified, verifyFact, verifyPage, keys, parseCode, codeOfPath, decodeTraceUnit, decodeCertificateFact, VerifyError, toHex,
    // The byte helpers, shared with sign.js.
    bytes: { hex, toHex, concat, u32le, u64, str, sha256, subtle },
  };
  if (root.document && root.document.getElementById('tc-proofs')) {
    if (root.document.readyState === 'loading') root.document.addEventListener('DOMContentLoaded', run);
    else run();
  }
})(typeof window !== 'undefined' ? window : globalThis);
