//! Signed reads and roles (R-A5, ADR 0080).
//!
//! A participant authenticates a read with three headers: `Tracechain-Key` (its public key,
//! hex), `Tracechain-Timestamp` (Unix ms) and `Tracechain-Signature` (hex Ed25519 over
//! [`tracechain_types::read_auth::read_signing_bytes`]: chain id, method, path and query as
//! sent, timestamp, SHA-256 of the body). A timestamp outside the window and a signature
//! already seen within it are refused, so a captured read cannot be replayed. A read without
//! the headers is the public's. The role comes from the registry at the height the answer is
//! read at: an approved regulator reads everything; another approved participant reads the
//! units it took part in; everyone else (pending, suspended, revoked, unknown keys) reads as
//! the public.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use tracechain_contracts::registry::{self as participants, ParticipantState};
use tracechain_contracts::StateView;
use tracechain_types::read_auth::{verify_read, MAX_READ_TARGET_BYTES};
use tracechain_types::records::ParticipantCategory;
use tracechain_types::{ChainId, PublicKey, Signature};

use crate::problem::Problem;

/// Header carrying the reader's key.
pub const KEY_HEADER: &str = "tracechain-key";
/// Header carrying the read's timestamp (Unix ms).
pub const TIMESTAMP_HEADER: &str = "tracechain-timestamp";
/// Header carrying the read's signature.
pub const SIGNATURE_HEADER: &str = "tracechain-signature";

/// Who is reading, as the registry says at the answer's height.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// No signature, or a key that is not an approved participant.
    Public,
    /// An approved participant that is not a regulator.
    Participant(PublicKey),
    /// An approved regulator.
    Regulator(PublicKey),
}

impl Role {
    /// The role of a verified reader key in `state`.
    pub fn of(state: &dyn StateView, reader: Option<PublicKey>) -> Role {
        let Some(key) = reader else {
            return Role::Public;
        };
        match participants::load(state, &key) {
            Some(p) if p.state == ParticipantState::Approved => match p.registration.category {
                ParticipantCategory::Regulator(_) => Role::Regulator(key),
                // Consumers read the public story (R-A5), signed or not.
                ParticipantCategory::ConsumerOrOther => Role::Public,
                _ => Role::Participant(key),
            },
            _ => Role::Public,
        }
    }

    /// The name used in answers.
    pub fn name(&self) -> &'static str {
        match self {
            Role::Public => "public",
            Role::Participant(_) => "participant",
            Role::Regulator(_) => "regulator",
        }
    }

    /// The reader's key, when signed by a participant.
    pub fn key(&self) -> Option<PublicKey> {
        match self {
            Role::Public => None,
            Role::Participant(k) | Role::Regulator(k) => Some(*k),
        }
    }
}

/// Signatures seen within the validity window, bounded.
#[derive(Debug)]
pub struct ReplayCache {
    capacity: usize,
    inner: Mutex<ReplayInner>,
}

#[derive(Debug, Default)]
struct ReplayInner {
    seen: HashMap<[u8; 64], u64>,
    by_expiry: BTreeSet<(u64, [u8; 64])>,
}

impl ReplayCache {
    /// A cache of at most `capacity` signatures.
    pub fn new(capacity: usize) -> ReplayCache {
        ReplayCache {
            capacity,
            inner: Mutex::new(ReplayInner::default()),
        }
    }

    /// Remember a read that is given a participant's or regulator's rights: `Err` when its
    /// signature was seen (a replay) or the cache is full of signatures still valid. Reads
    /// with the public's rights are not remembered: replaying one gains nothing, and keys
    /// anyone can make cannot fill the cache.
    pub fn remember(&self, read: &SignedRead, now_ms: u64) -> Result<(), Problem> {
        self.insert(&read.signature, now_ms, read.expires_ms)
    }

    fn insert(&self, sig: &Signature, now_ms: u64, expires_ms: u64) -> Result<(), Problem> {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(&(exp, s)) = g.by_expiry.iter().next() {
            if exp >= now_ms {
                break;
            }
            g.by_expiry.remove(&(exp, s));
            g.seen.remove(&s);
        }
        if g.seen.contains_key(&sig.0) {
            return Err(Problem::unauthorized(
                "E_READ_REPLAYED",
                "this read signature was already used; sign each read anew",
            ));
        }
        if g.seen.len() >= self.capacity {
            return Err(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "E_BUSY",
                "Busy",
                "too many signed reads within the validity window; retry shortly",
            ));
        }
        g.seen.insert(sig.0, expires_ms);
        g.by_expiry.insert((expires_ms, sig.0));
        Ok(())
    }

    /// Signatures held.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .seen
            .len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, Problem> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v.to_str().map(Some).map_err(|_| {
            Problem::unauthorized(
                "E_READ_AUTH_MALFORMED",
                format!("header {name} is not ASCII"),
            )
        }),
    }
}

/// A read whose signature verified and whose timestamp is fresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignedRead {
    /// The reader's key.
    pub key: PublicKey,
    /// Its signature (the replay cache's key).
    pub signature: Signature,
    /// When the timestamp leaves the window: until then a replay must be refused.
    pub expires_ms: u64,
}

/// Check a read's signature headers: `Ok(None)` for an unsigned (public) read, `Ok(Some(read))`
/// for a valid, fresh signature. Whether it was seen before is [`ReplayCache::remember`]'s
/// question, asked once the reader's role is known.
pub fn authenticate(
    chain_id: &ChainId,
    window_ms: u64,
    now_ms: u64,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Option<SignedRead>, Problem> {
    let key = header(headers, KEY_HEADER)?;
    let ts = header(headers, TIMESTAMP_HEADER)?;
    let sig = header(headers, SIGNATURE_HEADER)?;
    let (key, ts, sig) = match (key, ts, sig) {
        (None, None, None) => return Ok(None),
        (Some(k), Some(t), Some(s)) => (k, t, s),
        _ => {
            return Err(Problem::unauthorized(
                "E_READ_AUTH_MALFORMED",
                format!(
                    "a signed read carries all three headers {KEY_HEADER}, {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}"
                ),
            ))
        }
    };
    let key: PublicKey = key.parse().map_err(|_| {
        Problem::unauthorized(
            "E_READ_AUTH_MALFORMED",
            "the key is 64 hexadecimal characters",
        )
    })?;
    let ts: u64 = ts.parse().map_err(|_| {
        Problem::unauthorized(
            "E_READ_AUTH_MALFORMED",
            "the timestamp is Unix milliseconds, a non-negative integer",
        )
    })?;
    let sig_bytes: [u8; 64] = hex::decode(sig)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            Problem::unauthorized(
                "E_READ_AUTH_MALFORMED",
                "the signature is 128 hexadecimal characters",
            )
        })?;
    let signature = Signature(sig_bytes);
    let target = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
    if target.len() > MAX_READ_TARGET_BYTES {
        return Err(Problem::new(
            StatusCode::URI_TOO_LONG,
            "E_TARGET_TOO_LONG",
            "Request target too long",
            format!("a signed read's path and query are at most {MAX_READ_TARGET_BYTES} bytes"),
        ));
    }
    if ts.abs_diff(now_ms) > window_ms {
        return Err(Problem::unauthorized(
            "E_READ_STALE",
            format!(
                "the read's timestamp {ts} is more than {window_ms} ms from the node's clock {now_ms}"
            ),
        ));
    }
    verify_read(&key, &signature, chain_id, method.as_str(), target, ts, body).map_err(|_| {
        Problem::unauthorized(
            "E_READ_BAD_SIGNATURE",
            "the read's signature does not verify for this key, chain, method, target, timestamp and body",
        )
    })?;
    // Valid until the timestamp leaves the window: after that the window check refuses it.
    Ok(Some(SignedRead {
        key,
        signature,
        expires_ms: ts.saturating_add(window_ms),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracechain_types::read_auth::sign_read;
    use tracechain_types::SecretKey;

    fn chain() -> ChainId {
        ChainId::new("auth-test").unwrap()
    }

    fn signed(key: &SecretKey, target: &str, ts: u64, body: &[u8]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(KEY_HEADER, key.public().to_hex().parse().unwrap());
        h.insert(TIMESTAMP_HEADER, ts.to_string().parse().unwrap());
        let sig = sign_read(key, &chain(), "GET", target, ts, body);
        h.insert(SIGNATURE_HEADER, hex::encode(sig.0).parse().unwrap());
        h
    }

    fn auth(
        replay: &ReplayCache,
        now: u64,
        target: &str,
        h: &HeaderMap,
        body: &[u8],
    ) -> Result<Option<PublicKey>, Problem> {
        let uri: Uri = target.parse().unwrap();
        let read = authenticate(&chain(), 1_000, now, &Method::GET, &uri, h, body)?;
        if let Some(r) = &read {
            replay.remember(r, now)?;
        }
        Ok(read.map(|r| r.key))
    }

    #[test]
    fn unsigned_is_public_and_signed_is_the_key() {
        let r = ReplayCache::new(10);
        assert_eq!(
            auth(&r, 5_000, "/v1/x", &HeaderMap::new(), b"").unwrap(),
            None
        );
        let k = SecretKey::from_seed([3; 32]);
        let h = signed(&k, "/v1/x?a=1", 5_000, b"");
        assert_eq!(
            auth(&r, 5_000, "/v1/x?a=1", &h, b"").unwrap(),
            Some(k.public())
        );
    }

    #[test]
    fn replay_stale_wrong_target_body_and_partial_headers_are_refused() {
        let r = ReplayCache::new(10);
        let k = SecretKey::from_seed([3; 32]);
        let h = signed(&k, "/v1/x", 5_000, b"");
        assert!(auth(&r, 5_000, "/v1/x", &h, b"").is_ok());
        assert_eq!(
            auth(&r, 5_100, "/v1/x", &h, b"").unwrap_err().code,
            "E_READ_REPLAYED"
        );
        let h = signed(&k, "/v1/x", 3_999, b"");
        assert_eq!(
            auth(&r, 5_000, "/v1/x", &h, b"").unwrap_err().code,
            "E_READ_STALE"
        );
        let h = signed(&k, "/v1/x", 6_001, b"");
        assert_eq!(
            auth(&r, 5_000, "/v1/x", &h, b"").unwrap_err().code,
            "E_READ_STALE"
        );
        let h = signed(&k, "/v1/x", 5_000, b"");
        assert_eq!(
            auth(&r, 5_000, "/v1/y", &h, b"").unwrap_err().code,
            "E_READ_BAD_SIGNATURE"
        );
        assert_eq!(
            auth(&r, 5_000, "/v1/x", &h, b"body").unwrap_err().code,
            "E_READ_BAD_SIGNATURE"
        );
        let mut partial = h.clone();
        partial.remove(SIGNATURE_HEADER);
        assert_eq!(
            auth(&r, 5_000, "/v1/x", &partial, b"").unwrap_err().code,
            "E_READ_AUTH_MALFORMED"
        );
        // A refused signature is not remembered: the right request with it passes, once.
        let fresh = signed(&k, "/v1/x", 5_001, b"");
        assert!(auth(&r, 5_001, "/v1/x", &fresh, b"tampered").is_err());
        assert!(auth(&r, 5_001, "/v1/x", &fresh, b"").is_ok());
        assert!(auth(&r, 5_001, "/v1/x", &fresh, b"").is_err());
    }

    #[test]
    fn a_key_reads_at_its_rate_and_others_are_not_slowed() {
        let r = KeyRates::new(2, 3, 2);
        let (a, b, c) = (
            SecretKey::from_seed([1; 32]).public(),
            SecretKey::from_seed([2; 32]).public(),
            SecretKey::from_seed([3; 32]).public(),
        );
        for _ in 0..3 {
            assert!(r.take(&a, 1_000).is_ok());
        }
        assert_eq!(r.take(&a, 1_000).unwrap_err().code, "E_RATE_LIMITED");
        assert!(r.take(&b, 1_000).is_ok(), "another key has its own bucket");
        // Half a second refills one token at 2 per second.
        assert!(r.take(&a, 1_500).is_ok());
        assert!(r.take(&a, 1_500).is_err());
        // A third key when two are tracked: a bucket is forgotten, the new key is served.
        assert!(r.take(&c, 1_500).is_ok());
        assert!(r.buckets.lock().unwrap().len() <= 2);
    }

    #[test]
    fn the_cache_forgets_expired_signatures_and_is_bounded() {
        let r = ReplayCache::new(2);
        let k = SecretKey::from_seed([3; 32]);
        for t in ["/a", "/b"] {
            assert!(auth(&r, 5_000, t, &signed(&k, t, 5_000, b""), b"").is_ok());
        }
        let c = signed(&k, "/c", 5_000, b"");
        assert_eq!(auth(&r, 5_000, "/c", &c, b"").unwrap_err().code, "E_BUSY");
        // After the first two expire (5,000 + 1,000), there is room again.
        let d = signed(&k, "/d", 6_001, b"");
        assert!(auth(&r, 6_001, "/d", &d, b"").is_ok());
        assert_eq!(r.len(), 1);
    }
}

/// Signed reads per key: a token bucket per reader key (`api.read_rate_per_key` per second,
/// `api.read_burst_per_key` at once), over the node's per-address limit, so one participant
/// cannot take a node's reads from many addresses. At most `max_keys` buckets are kept: full
/// ones are forgotten first (they lose nothing), then the least recently seen.
#[derive(Debug)]
pub struct KeyRates {
    rate: f64,
    burst: f64,
    max_keys: usize,
    buckets: Mutex<HashMap<PublicKey, (f64, u64)>>,
}

impl KeyRates {
    /// Buckets of `burst` tokens refilled at `rate` per second.
    pub fn new(rate: u32, burst: u32, max_keys: usize) -> KeyRates {
        KeyRates {
            rate: f64::from(rate),
            burst: f64::from(burst),
            max_keys,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Take one token of `key`'s bucket at `now_ms`, or refuse with 429.
    pub fn take(&self, key: &PublicKey, now_ms: u64) -> Result<(), Problem> {
        let mut b = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if b.len() >= self.max_keys && !b.contains_key(key) {
            let full_ms = (self.burst / self.rate * 1000.0) as u64;
            b.retain(|_, (_, t)| now_ms.saturating_sub(*t) < full_ms);
            if b.len() >= self.max_keys {
                if let Some(oldest) = b.iter().min_by_key(|(_, (_, t))| *t).map(|(k, _)| *k) {
                    b.remove(&oldest);
                }
            }
        }
        let (tokens, last) = b.entry(*key).or_insert((self.burst, now_ms));
        let elapsed = now_ms.saturating_sub(*last) as f64 / 1000.0;
        *tokens = (*tokens + elapsed * self.rate).min(self.burst);
        *last = (*last).max(now_ms);
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "E_RATE_LIMITED",
                "Too many requests",
                format!("over {} signed reads per second by this key", self.rate),
            ))
        }
    }
}
