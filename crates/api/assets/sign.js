// tracechain: a participant's key in the browser (issue 15, ADR 0089). The key file is read
// here and imported into WebCrypto as a non-extractable Ed25519 key; its secret is never sent,
// never stored, and the page keeps only the CryptoKey. Reads are signed as the node expects
// (`tracechain/read/v1`, ADR 0080) and records are built, Borsh-encoded and signed here
// (`tracechain/tx/v1`), then posted to this node.
'use strict';
(function (root) {
  const te = new TextEncoder();
  class SignError extends Error {}
  const fail = (m) => { throw new SignError(m); };
  // The byte helpers of verify.js (loaded first): hex, Borsh integers and strings, WebCrypto.
  const B = root.tracechainVerify.bytes;
  const { hex, toHex, concat, u32le, sha256, subtle } = B;
  const u8 = (n) => Uint8Array.of(n);
  const u64le = (n) => B.u64(n, 'a number');
  const str = (s) => B.str(s, 'a text');
  function b64url(s) {
    const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
    return Uint8Array.from(b, (c) => c.charCodeAt(0));
  }

  // PKCS #8 wrapping of a 32-byte Ed25519 seed (RFC 8410).
  const PKCS8_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20);

  // A participant's key from its key file (`tracechain keys new`: JSON with `secret_seed` and
  // `public_key`) or from the seed alone (64 hex digits). Returns {key, public}.
  async function importKey(text) {
    if (typeof text !== 'string' || text.length > 4096) fail('not a key file');
    let seedHex, pubHex = null;
    const t = text.trim();
    if (t.startsWith('{')) {
      let j;
      try { j = JSON.parse(t); } catch (e) { fail('the key file is not JSON'); }
      if (j.type !== undefined && j.type !== 'ed25519') fail('not an Ed25519 key file');
      seedHex = j.secret_seed; pubHex = j.public_key;
    } else {
      seedHex = t;
    }
    const seed = hex(seedHex, 32, 'the secret seed');
    const pkcs8 = concat(PKCS8_PREFIX, seed);
    let pub;
    try {
      // The public key, from a short-lived extractable copy; the key kept is not extractable.
      const tmp = await subtle().importKey('pkcs8', pkcs8, { name: 'Ed25519' }, true, ['sign']);
      pub = b64url((await subtle().exportKey('jwk', tmp)).x);
      const key = await subtle().importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
      if (pubHex !== null && toHex(pub) !== String(pubHex).toLowerCase()) fail("the key file's public key is not its secret's");
      return { key, public: pub, publicHex: toHex(pub) };
    } finally {
      seed.fill(0);
      pkcs8.fill(0);
    }
  }

  // A signed-in participant at this node: signed reads and signed records.
  class Session {
    constructor(k, chainId) {
      this.k = k;
      this.chainId = chainId;
      this.last = 0;
    }
    get publicHex() { return this.k.publicHex; }
    async sign(msg) { return new Uint8Array(await subtle().sign({ name: 'Ed25519' }, this.k.key, msg)); }

    // GET (or another method) signed as a read of this participant: the node gives its role.
    async read(target, opts = {}) {
      const method = opts.method || 'GET';
      const body = opts.body || new Uint8Array(0);
      // Strictly increasing: two reads of one target in one millisecond are not a replay.
      const ts = Math.max(Date.now(), this.last + 1);
      this.last = ts;
      const m = te.encode(method), t = te.encode(target);
      const msg = concat(te.encode('tracechain/read/v1'), str(this.chainId), u32le(m.length), m,
        u32le(t.length), t, u64le(ts), await sha256(body));
      const headers = Object.assign({}, opts.headers || {}, {
        'tracechain-key': this.k.publicHex,
        'tracechain-timestamp': String(ts),
        'tracechain-signature': toHex(await this.sign(msg)),
      });
      return fetch(target, { method, headers, body: method === 'GET' ? undefined : body, signal: opts.signal });
    }
    async readJson(target) {
      const r = await this.read(target);
      const v = await r.json().catch(() => ({}));
      if (!r.ok) fail((v && (v.detail || v.title)) || ('HTTP ' + r.status));
      return v;
    }

    // The signed transaction (Borsh) of `payload` at `sequence`, valid up to `expiry`.
    async transaction(payload, sequence, expiry) {
      const body = concat(this.k.public, u64le(sequence), u64le(expiry), payload);
      const sig = await this.sign(concat(te.encode('tracechain/tx/v1'), str(this.chainId), body));
      return concat(body, sig);
    }

    // Sign `payload` (Borsh bytes of a Payload) as this participant's next record and submit
    // it; resolves once the node says it committed (or refused it).
    async submit(payload, waitMs = 20000) {
      const seq = await getJson('/v1/accounts/' + this.k.publicHex + '/sequence');
      const st = await getJson('/v1/status');
      const tx = await this.transaction(payload, seq.next_sequence, st.height + 100);
      const r = await fetch('/v1/txs?wait=commit&timeout_ms=' + waitMs, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: tx,
      });
      const v = await r.json().catch(() => ({}));
      if (!r.ok) fail((v && (v.detail || v.title)) || ('HTTP ' + r.status));
      return v;
    }
  }

  async function getJson(target) {
    const r = await fetch(target);
    const v = await r.json().catch(() => ({}));
    if (!r.ok) fail((v && (v.detail || v.title)) || ('HTTP ' + r.status));
    return v;
  }

  // Sign in at this node: the chain id from its status, the key from its file.
  async function signIn(keyText) {
    const st = await getJson('/v1/status');
    return new Session(await importKey(keyText), st.chain_id);
  }

  // ---- records (Borsh, as crates/types/src/payload.rs) ----
  const VERDICT = { approve: 0, reject: 1 };
  const PARTICIPANT_ACTION = { approve: 0, reject: 1, suspend: 2, reinstate: 3, revoke: 4 };
  const PREFIX_ACTION = { approve: 0, reject: 1, revoke: 2 };
  function pick(table, v, what) { if (!Object.hasOwn(table, v)) fail('unknown ' + what + ': ' + v); return u8(table[v]); }
  // Payload::Participant = 1, Payload::Cbeac = 5, Payload::Consumer = 9.
  const records = {
    participantDecision: (participant, action, reason) =>
      concat(u8(1), u8(1), hex(participant, 32, 'participant'), pick(PARTICIPANT_ACTION, action, 'action'), str(reason)),
    prefixDecision: (holder, prefix, action, reason) =>
      concat(u8(1), u8(4), hex(holder, 32, 'holder'), str(prefix), pick(PREFIX_ACTION, action, 'action'), str(reason)),
    filingDecision: (enterprise, ref, verdict, reason) =>
      concat(u8(5), u8(1), hex(enterprise, 32, 'enterprise'), str(ref), pick(VERDICT, verdict, 'verdict'), str(reason)),
    declarationDecision: (enterprise, ref, verdict, reason) =>
      concat(u8(5), u8(3), hex(enterprise, 32, 'enterprise'), str(ref), pick(VERDICT, verdict, 'verdict'), str(reason)),
    // code: {kind: 'batch'|'item', gtin, value}
    feedback: (ref, code, text) =>
      concat(u8(9), u8(1), str(ref), u8(code.kind === 'batch' ? 0 : 1), str(code.gtin), str(code.value), str(text)),
  };

  root.tracechainSign = { importKey, signIn, Session, records, SignError, getJson, toHex, sha256 };
})(typeof window !== 'undefined' ? window : globalThis);
