#!/usr/bin/env python3
# Mutation testing of the consumer page's verifier (crates/api/assets/verify.js), which
# cargo mutants does not see: each mutant removes or weakens one check, the browser tests run,
# and a mutant the tests do not catch is reported SURVIVED. Usage, from the repository:
#   CARGO_TARGET_DIR=... python3 scripts/mutants-js.py [NAME ...]
# The file is restored afterwards (also on Ctrl-C). Results: docs/mutants.md.
import subprocess, sys, os
root=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
p=os.path.join(root,'crates/api/assets/verify.js')
orig=open(p).read()
muts=[
("quorum", "if (votes.length < need)", "if (votes.length < need - 1)"),
("root check", "if (!eq(root, hex(ch.header.state_root, 32, 'state root')))", "if (false)"),
("key check", "if (!eq(hex(fact.key, undefined, 'proof key'), key))", "if (false)"),
("ascending", "cmp(votes[i - 1].key, votes[i].key) >= 0", "cmp(votes[i - 1].key, votes[i].key) > 0"),
("membership", "for (const v of votes) if (!vs.some(", "for (const v of votes) if (false && !vs.some("),
("signature", "if (!good) fail(", "if (false) fail("),
("trailing bytes", "if (!r.done()) fail('state proof does not decode: bytes after its end');", ""),
("shown refs", "if (!shownRefs.includes(r.reference))", "if (false)"),
("product", "if (text('product') !== unit.productName || ", "if ("),
("customs under", "if (!under) fail(", "if (false) fail("),
("customs absent", "if ((await verifyFact(base, trust, k, at(p))) === null)", "if (false)"),
("chain", "if (h.chain_id !== trust.chain_id)", "if (false)"),
("cert block", "if (c.height !== h.height || !eq(hex(c.block_hash, 32, 'certified hash'), hh))", "if (false)"),
("cert height", "c.height !== h.height ||", ""),
("footer root", "if (text('read-root') !== c.header.state_root)", "if (false)"),
("footer block", "if (text('read-block') !== toHex(c.hash))", "if (false)"),
("footer height", "if (text('read-height') !== String(height))", "if (false)"),
("bit order", "(7 - (i & 7))", "(i & 7)"),
("base64 canonical", "if (btoa(bin) !== s)", "if (false)"),
("version", "if (version !== STATE_PROOF_VERSION)", "if (false)"),
("set hash", "if (!eq(vsh, hex(h.validator_set_hash, 32, 'validator set hash')))", "if (false)"),
("registration code", "if (unit.code.text !== code.text)", "if (false)"),
("recall unit", "if (!units.includes(r.recalled_unit))", "if (false)"),
("recall absent", "if (v === null) fail('a recall", "if (false) fail('a recall"),
("reg absent", "if (!reg) fail(", "if (false) fail("),
("other leaf off path", "if (shared < depth)", "if (false)"),
("header height", "|| ch.header.height !== height)", ")"),
("cert count", "if (rows.length !== certs.length)", "if (false)"),
("cert no proof", "if (!cert || !cert.proof) fail('a certificate has no proof');", "if (!cert) fail('x');"),
("cert unit", "if (!units.includes(cert.unit)) fail('a certificate proof", "if (false) fail('a certificate proof"),
("cert key", "if (!lastPart32(k, keys.certificatePrefix(parseCode(cert.unit))))", "if (false)"),
("cert absent", "if (v === null) fail('a certificate shown is proven absent');", ""),
("cert issuer", "if (row.dataset.issuer !== f.issuer)", "if (false)"),
("cert type", "if (cellText('.c-type') !== f.type)", "if (false)"),
("cert anchored", "if (cellText('.c-anchored') !== utc(f.timestampMs))", "if (false)"),
("cert status attr", "if (row.dataset.status !== status || ", "if ("),
("cert status text", " || cellText('.c-status') !== STATUS_TEXT[lang][status])", ")"),
("cert revoked first", "if (f.revokedHeight !== null) return 'revoked';", ""),
("cert expiry", "const expired = f.validUntilMs !== null && at >= f.validUntilMs;", "const expired = false;"),
("cert competence", "if (!f.competent) return 'not-competent';", ""),
("page height", "if (!fact || fact.height !== height) fail('a proof is of another height than the page');", "if (!fact) fail('x');"),
("duplicate ids", "if (doc.querySelectorAll('[id=\"' + id + '\"]').length > 1)", "if (false)"),
("visible", "if (e.getClientRects().length === 0) return false;", ""),
("code shown", "if (text('code') !== code.text)", "if (false)"),
("batch shown", "if (text('batch') !== (unit.batch ? unit.batch.text : code.text))", "if (false)"),
("product dd", " || text('product-name') !== unit.productName)", ")"),
("rows outside", "if (anyRows.length !== inBody)", "if (false)"),
("banner visible", "if (!visible(banner)) fail('the recall banner is hidden');", ""),
("customs visible", "if (!visible(customs)) fail('the customs status is hidden');", ""),
("cert row visible", "if (!visible(row)) fail('a certificate row is hidden');", ""),
("visible style", "return cs.visibility !== 'hidden' && parseFloat(cs.opacity) > 0.2 && parseFloat(cs.fontSize) >= 8;", "return true;"),
("customs claimed by text", " || !unclaimed.includes(customs.textContent.trim())", ""),
("dup cert proofs", "if (seen.has(cert.proof.key)) fail('two certificates shown by one proof');", ""),
("fact height", "const ch = await certified(base, trust, fact.height);", "const ch = await certified(base, trust, Number(Object.keys(base.headers)[0]));"),
]
only = sys.argv[1:] 
env=dict(os.environ)
env.setdefault('CARGO_TARGET_DIR', '/var/cache/tracechain/target')
env.setdefault('CARGO_INCREMENTAL', '0')
res=[]
try:
    for name,a,b in muts:
        if only and name not in only: continue
        assert orig.count(a)>=1, name
        open(p,'w').write(orig.replace(a,b,1))
        r=subprocess.run(['cargo','nextest','run','-p','tracechain-api','--test','browser','--test','page','--no-fail-fast'],cwd=root,env=env,capture_output=True,text=True)
        if 'error[E' in r.stderr or 'error: could not compile' in r.stderr:
            print(name, 'BUILD-ERROR', flush=True); continue
        killed = r.returncode!=0
        print(name, 'killed' if killed else 'SURVIVED', flush=True)
finally:
    open(p,'w').write(orig)
