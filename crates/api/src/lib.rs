//! The read API of tracechain (ADR 0080): versioned JSON under `/v1` and the GS1 Digital Link
//! resolver, served by every node from its own committed data.
//!
//! * Every answer is read from one RocksDB snapshot and stamped with the height it was read
//!   at (`read_at` in the body, `Tracechain-Height` in the headers).
//! * Reads are role-scoped (R-A5, [`auth`]): a participant signs its read; regulators read
//!   everything, a business partner the units it took part in, the public the consumer story.
//! * Answers carry proofs ([`proof`]): each record's inclusion in a certified block, and state
//!   facts (a unit's listing digest, a document's anchor) against the certified state root
//!   of the height read at. A client checks them offline with [`proof::verify_record`] and
//!   [`proof::verify_fact`].
//! * Refusals are RFC 7807 problems with a stable code and rule id ([`problem`]).
//!
//! The node wires [`router`] into its HTTP server, whose layers bound body size, time,
//! concurrency and rate per client.

pub mod audit;
pub mod auth;
pub mod bag;
pub mod console;
mod events;
pub mod export;
mod handlers;
pub mod page;
pub mod private;
pub mod problem;
pub mod proof;
mod resolver;
mod workflows;

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::Value;
use tracechain_storage::{Snapshot, Store, Tip};
use tracechain_types::records::TraceCode;
use tracechain_types::state_map;
use tracechain_types::ChainId;

pub use auth::{ReplayCache, Role, SignedRead};
pub use handlers::{not_found, MAX_STORY_CERTIFICATES};
pub use problem::Problem;
use proof::{FactProof, ProofBase};
use resolver::OtherPrimaryKeys;

/// Default validity window of a signed read (either side of the node's clock).
pub const DEFAULT_READ_AUTH_WINDOW_MS: u64 = 30_000;
/// Default number of signed reads remembered against replay.
pub const DEFAULT_REPLAY_CACHE_ENTRIES: usize = 100_000;
/// Default most records in one page of a trace.
pub const DEFAULT_MAX_PAGE_RECORDS: usize = 200;
/// Default largest document uploaded to the document check.
pub const DEFAULT_MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;
/// Default most Server-Sent Event streams open at once.
pub const DEFAULT_MAX_EVENT_STREAMS: usize = 256;
/// Default interval at which an event stream looks for new blocks (ms).
pub const DEFAULT_EVENTS_POLL_MS: u64 = 200;
/// Default life of one event stream (ms).
pub const DEFAULT_MAX_EVENT_STREAM_MS: u64 = 3_600_000;
/// Default most blocks an event stream may start back.
pub const DEFAULT_MAX_EVENT_REPLAY_BLOCKS: u64 = 100_000;
/// Default signed reads per second by one key.
pub const DEFAULT_READ_RATE_PER_KEY: u32 = 200;
/// Default signed reads one key may make at once.
pub const DEFAULT_READ_BURST_PER_KEY: u32 = 400;
/// Default reader keys whose rate is tracked.
pub const DEFAULT_MAX_TRACKED_KEYS: usize = 10_000;
/// Default most units (the batch and those upstream) in one audit package.
pub const DEFAULT_MAX_AUDIT_UNITS: usize = 1_000;
/// Default most records in one audit package.
pub const DEFAULT_MAX_AUDIT_RECORDS: usize = 50_000;
/// Default most chain exports streaming at once.
pub const DEFAULT_MAX_EXPORTS: usize = 2;
/// Default blocks an export reads ahead of what the client has taken.
pub const DEFAULT_EXPORT_BUFFER_BLOCKS: usize = 16;
/// Default longest an export waits for its client to take the next block (ms).
pub const DEFAULT_EXPORT_IDLE_MS: u64 = 60_000;
/// Header stamping each answer with the height it was read at.
pub const HEIGHT_HEADER: &str = "tracechain-height";

/// The read API's limits (the node's `[api]` config).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadConfig {
    /// How far a signed read's timestamp may be from the node's clock (ms).
    pub read_auth_window_ms: u64,
    /// How many signed reads are remembered against replay.
    pub replay_cache_entries: usize,
    /// Most records in one page of a trace.
    pub max_page_records: usize,
    /// Largest document uploaded to the document check (bytes).
    pub max_document_bytes: usize,
    /// Most `GET /v1/events` streams open at once.
    pub max_event_streams: usize,
    /// How often an event stream looks for new blocks (ms).
    pub events_poll_ms: u64,
    /// How long one event stream lasts before it ends (the client resumes) (ms).
    pub max_event_stream_ms: u64,
    /// How many blocks back a stream may start (`from`, `Last-Event-ID`).
    pub max_event_replay_blocks: u64,
    /// Signed reads per second by one key (token refill).
    pub read_rate_per_key: u32,
    /// Signed reads one key may make at once (bucket size).
    pub read_burst_per_key: u32,
    /// Reader keys whose rate is tracked at once.
    pub max_tracked_keys: usize,
    /// Most units (the batch and those upstream) in one audit package (R-S2).
    pub max_audit_units: usize,
    /// Most records in one audit package (R-S2).
    pub max_audit_records: usize,
    /// Most `GET /v1/export` streams at once.
    pub max_exports: usize,
    /// Blocks one export reads ahead of its client.
    pub export_buffer_blocks: usize,
    /// Longest an export waits for its client to take the next block (ms); then it ends.
    pub export_idle_ms: u64,
}

impl Default for ReadConfig {
    fn default() -> Self {
        ReadConfig {
            read_auth_window_ms: DEFAULT_READ_AUTH_WINDOW_MS,
            replay_cache_entries: DEFAULT_REPLAY_CACHE_ENTRIES,
            max_page_records: DEFAULT_MAX_PAGE_RECORDS,
            max_document_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
            max_event_streams: DEFAULT_MAX_EVENT_STREAMS,
            events_poll_ms: DEFAULT_EVENTS_POLL_MS,
            max_event_stream_ms: DEFAULT_MAX_EVENT_STREAM_MS,
            max_event_replay_blocks: DEFAULT_MAX_EVENT_REPLAY_BLOCKS,
            read_rate_per_key: DEFAULT_READ_RATE_PER_KEY,
            read_burst_per_key: DEFAULT_READ_BURST_PER_KEY,
            max_tracked_keys: DEFAULT_MAX_TRACKED_KEYS,
            max_audit_units: DEFAULT_MAX_AUDIT_UNITS,
            max_audit_records: DEFAULT_MAX_AUDIT_RECORDS,
            max_exports: DEFAULT_MAX_EXPORTS,
            export_buffer_blocks: DEFAULT_EXPORT_BUFFER_BLOCKS,
            export_idle_ms: DEFAULT_EXPORT_IDLE_MS,
        }
    }
}

impl ReadConfig {
    /// Check the values: every limit is positive and bounded.
    pub fn validate(&self) -> Result<(), String> {
        if !(1_000..=600_000).contains(&self.read_auth_window_ms) {
            return Err("api.read_auth_window_ms must be 1000..=600000".into());
        }
        if !(1..=10_000_000).contains(&self.replay_cache_entries) {
            return Err("api.replay_cache_entries must be 1..=10000000".into());
        }
        if !(1..=tracechain_contracts::trace::MAX_LOOKUP_RECORDS).contains(&self.max_page_records) {
            return Err(format!(
                "api.max_page_records must be 1..={}",
                tracechain_contracts::trace::MAX_LOOKUP_RECORDS
            ));
        }
        if !(1..=1024 * 1024 * 1024).contains(&self.max_document_bytes) {
            return Err("api.max_document_bytes must be 1..=1073741824".into());
        }
        if !(1..=100_000).contains(&self.max_event_streams) {
            return Err("api.max_event_streams must be 1..=100000".into());
        }
        if !(10..=60_000).contains(&self.events_poll_ms) {
            return Err("api.events_poll_ms must be 10..=60000".into());
        }
        if !(1_000..=86_400_000).contains(&self.max_event_stream_ms) {
            return Err("api.max_event_stream_ms must be 1000..=86400000".into());
        }
        if self.max_event_replay_blocks == 0 {
            return Err("api.max_event_replay_blocks must be positive".into());
        }
        if self.read_rate_per_key == 0 || self.read_burst_per_key == 0 {
            return Err("api.read_rate_per_key and api.read_burst_per_key must be positive".into());
        }
        if !(1..=10_000_000).contains(&self.max_tracked_keys) {
            return Err("api.max_tracked_keys must be 1..=10000000".into());
        }
        if !(1..=tracechain_contracts::lineage::MAX_TRAVERSAL_NODES).contains(&self.max_audit_units)
        {
            return Err(format!(
                "api.max_audit_units must be 1..={}",
                tracechain_contracts::lineage::MAX_TRAVERSAL_NODES
            ));
        }
        if !(1..=10_000_000).contains(&self.max_audit_records) {
            return Err("api.max_audit_records must be 1..=10000000".into());
        }
        if !(1..=64).contains(&self.max_exports) {
            return Err("api.max_exports must be 1..=64".into());
        }
        if !(1..=1024).contains(&self.export_buffer_blocks) {
            return Err("api.export_buffer_blocks must be 1..=1024".into());
        }
        if !(1_000..=3_600_000).contains(&self.export_idle_ms) {
            return Err("api.export_idle_ms must be 1000..=3600000".into());
        }
        Ok(())
    }
}

/// The node's clock as the read API sees it (Unix ms); tests give their own.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    })
}

/// What the read API serves from.
pub struct ReadApi {
    store: Arc<Store>,
    chain_id: ChainId,
    cfg: ReadConfig,
    replay: ReplayCache,
    key_rates: auth::KeyRates,
    clock: Clock,
    streams: Arc<tokio::sync::Semaphore>,
    exports: Arc<tokio::sync::Semaphore>,
    public_streams: Arc<tokio::sync::Semaphore>,
    scans: Option<Arc<dyn ScanRecorder>>,
    package_sources: audit::Sources,
}

/// An anonymous consumer's scan of an item's Digital Link, to be recorded through the chain
/// (R-S4, ADR 0083).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanRequest {
    /// The item scanned.
    pub code: TraceCode,
    /// The client's address (the scanner tag is derived from it, never stored).
    pub client: std::net::IpAddr,
    /// Country the client says it scans in (ISO 3166-1 alpha-2).
    pub country: String,
    /// Coarse position (0.01°), both or neither.
    pub coarse: Option<(i16, i16)>,
}

/// Records anonymous consumers' scans through the chain: the node's scanning service
/// (ADR 0083). `Err` says why a scan is not recorded (rate, queue, no service).
pub trait ScanRecorder: Send + Sync {
    /// Queue the scan's record; returns at once.
    fn record(&self, scan: ScanRequest) -> Result<(), String>;
}

impl std::fmt::Debug for ReadApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadApi")
            .field("chain_id", &self.chain_id)
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl ReadApi {
    /// A read API over `store` of chain `chain_id`.
    pub fn new(store: Arc<Store>, chain_id: ChainId, cfg: ReadConfig, clock: Clock) -> ReadApi {
        ReadApi {
            store,
            chain_id,
            replay: ReplayCache::new(cfg.replay_cache_entries),
            key_rates: auth::KeyRates::new(
                cfg.read_rate_per_key,
                cfg.read_burst_per_key,
                cfg.max_tracked_keys,
            ),
            streams: Arc::new(tokio::sync::Semaphore::new(cfg.max_event_streams)),
            exports: Arc::new(tokio::sync::Semaphore::new(cfg.max_exports)),
            // Unsigned streams share half of the places, so anonymous clients cannot take
            // every one from signed readers.
            public_streams: Arc::new(tokio::sync::Semaphore::new(
                (cfg.max_event_streams / 2).max(1),
            )),
            cfg,
            clock,
            scans: None,
            package_sources: None,
        }
    }

    /// Give audit packages the node's genesis file and EPCIS originals (ADR 0084).
    pub fn with_package_sources(mut self, sources: Arc<dyn audit::PackageSources>) -> ReadApi {
        self.package_sources = Some(sources);
        self
    }

    /// Record item-level scans at the resolver through `recorder` (ADR 0083).
    pub fn with_scans(mut self, recorder: Arc<dyn ScanRecorder>) -> ReadApi {
        self.scans = Some(recorder);
        self
    }
}

impl ReadApi {
    /// Authenticate a read made to an endpoint outside this crate (the node's transaction
    /// API) and give its role at the current tip: (the verified key, if signed; the role).
    /// Blocking: it reads the registry.
    pub fn reader(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(Option<tracechain_types::PublicKey>, Role), Problem> {
        let now = (self.clock)();
        let read = auth::authenticate(
            &self.chain_id,
            self.cfg.read_auth_window_ms,
            now,
            method,
            uri,
            headers,
            body,
        )?;
        let role = self.admit(&self.store.snapshot(), read, now)?;
        Ok((read.map(|r| r.key), role))
    }

    /// The role of an authenticated (or unsigned) read in `snap`, remembering the read against
    /// replay when its key is registered, whatever its role: a pending, suspended or rejected
    /// enterprise and a consumer read their own items. Keys nobody registered have nothing of
    /// their own; they are not remembered, so keys anyone can make cannot fill the cache.
    pub(crate) fn admit(
        &self,
        snap: &Snapshot<'_>,
        read: Option<SignedRead>,
        now: u64,
    ) -> Result<Role, Problem> {
        let role = Role::of(snap, read.map(|r| r.key));
        if let Some(r) = &read {
            if role != Role::Public || tracechain_contracts::registry::load(snap, &r.key).is_some()
            {
                // A registered key pays its own rate, whatever addresses it reads from.
                self.key_rates.take(&r.key, now)?;
                self.replay.remember(r, now)?;
            }
        }
        Ok(role)
    }
}

/// The documentation of what [`router`] serves outside `utoipa_axum::routes!` (the document
/// upload, whose body limit is its own, and the resolver's Digital Link paths under every
/// primary key), the problem schema and the signed-read headers.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "tracechain",
        description = "The HTTP API of a tracechain node: signed records in, role-scoped reads with proofs out (docs/api.md, docs/read-api.md). A participant signs a read with the headers Tracechain-Key, Tracechain-Timestamp and Tracechain-Signature (ADR 0080)."
    ),
    paths(handlers::document_check, resolver::resolve_item, resolver::resolve_batch),
    components(schemas(problem::ProblemBody)),
    modifiers(&SignedReads, &OtherPrimaryKeys)
)]
struct ApiDoc;

/// The three headers of a signed read, as security schemes.
struct SignedReads;

impl utoipa::Modify for SignedReads {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
        let c = doc.components.get_or_insert_with(Default::default);
        for (name, header, what) in [
            (
                "tracechain_key",
                auth::KEY_HEADER,
                "the reader's public key, hex",
            ),
            (
                "tracechain_timestamp",
                auth::TIMESTAMP_HEADER,
                "Unix ms, within api.read_auth_window_ms of the node's clock",
            ),
            (
                "tracechain_signature",
                auth::SIGNATURE_HEADER,
                "Ed25519 over read_signing_bytes (crates/types/src/read_auth.rs), hex",
            ),
        ] {
            c.add_security_scheme(
                name,
                SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(header, what))),
            );
        }
    }
}

/// The routes documented by their handlers' `#[utoipa::path]`: each is registered and
/// documented by one `routes!`, so neither can drift from the other.
fn documented() -> utoipa_axum::router::OpenApiRouter<Arc<ReadApi>> {
    use utoipa::OpenApi as _;
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(handlers::whoami))
        .routes(routes!(private::put, private::get))
        .routes(routes!(events::events))
        .routes(routes!(handlers::trace))
        .routes(routes!(handlers::completeness))
        .routes(routes!(handlers::trajectory))
        .routes(routes!(handlers::alerts))
        .routes(routes!(handlers::lineage))
        .routes(routes!(handlers::story))
        .routes(routes!(handlers::recall_impact))
        .routes(routes!(handlers::recall_status))
        .routes(routes!(handlers::document))
        .routes(routes!(workflows::participants))
        .routes(routes!(workflows::participant))
        .routes(routes!(workflows::filing))
        .routes(routes!(workflows::declaration))
        .routes(routes!(workflows::closed_loop_status))
        .routes(routes!(workflows::feedback_item))
        .routes(routes!(workflows::queue))
        .routes(routes!(resolver::description))
        .routes(routes!(audit::package))
        .routes(routes!(export::export))
}

/// The OpenAPI 3.1 document of the read API (the node merges its transaction API's).
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented().split_for_parts().1
}

/// The read API's routes.
pub fn router(api: Arc<ReadApi>) -> Router {
    let limit = api.cfg.max_document_bytes;
    let (routes, _) = documented().split_for_parts();
    routes
        .route(
            "/v1/documents/check",
            post(handlers::document_check).layer(axum::extract::DefaultBodyLimit::max(limit)),
        )
        .merge(resolver::routes())
        .with_state(api)
}

/// One answer being read: the snapshot, its tip and the reader's role.
pub(crate) struct Ctx<'a> {
    pub snap: Snapshot<'a>,
    pub tip: Tip,
    pub role: Role,
    /// The key whose signature the read carries, whatever its role: a pending, suspended or
    /// rejected enterprise, or a consumer, still reads what is its own.
    pub reader: Option<tracechain_types::PublicKey>,
}

impl Ctx<'_> {
    /// The certified header of the height read at, as the base of the answer's proofs (empty
    /// at genesis, which has no certificate: nothing read there is provable).
    pub fn base(&self) -> Result<ProofBase, Problem> {
        let mut base = ProofBase::default();
        self.add_header(&mut base, self.tip.height)?;
        Ok(base)
    }

    /// Add the certified header of `height` to `base`.
    pub fn add_header(&self, base: &mut ProofBase, height: u64) -> Result<(), Problem> {
        if height == 0 || base.headers.contains_key(&height) {
            return Ok(());
        }
        let header = self
            .snap
            .header(height)
            .map_err(Problem::internal)?
            .ok_or_else(|| Problem::internal(format!("no block at {height}")))?;
        let cert = self
            .snap
            .cert(height)
            .map_err(Problem::internal)?
            .ok_or_else(|| Problem::internal(format!("no certificate at {height}")))?;
        let set = self
            .snap
            .set_at(height)
            .map_err(Problem::internal)?
            .ok_or_else(|| Problem::internal(format!("no validator set at {height}")))?;
        base.add(header, cert, set);
        Ok(())
    }

    /// A proof of `key`'s value (or absence) at the height read at; `None` at genesis.
    pub fn fact(&self, key: &[u8]) -> Result<Option<FactProof>, Problem> {
        if self.tip.height == 0 {
            return Ok(None);
        }
        let p = state_map::prove(&self.snap, self.tip.height, key).map_err(Problem::internal)?;
        Ok(Some(FactProof::new(key, self.tip.height, &p)))
    }
}

/// Authenticate, then run `f` on one snapshot on a blocking thread: (the height read at, what
/// `f` made).
pub(crate) async fn read<F, T>(
    api: Arc<ReadApi>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    f: F,
) -> Result<(u64, T), Problem>
where
    F: FnOnce(&Ctx<'_>) -> Result<T, Problem> + Send + 'static,
    T: Send + 'static,
{
    let now = (api.clock)();
    let read = auth::authenticate(
        &api.chain_id,
        api.cfg.read_auth_window_ms,
        now,
        &method,
        &uri,
        &headers,
        &body,
    )?;
    tokio::task::spawn_blocking(move || {
        let snap = api.store.snapshot();
        let tip = snap.tip().map_err(Problem::internal)?;
        let role = api.admit(&snap, read, now)?;
        let ctx = Ctx {
            snap,
            tip,
            role,
            reader: read.map(|r| r.key),
        };
        Ok((tip.height, f(&ctx)?))
    })
    .await
    .map_err(Problem::internal)?
}

/// Authenticate, read one snapshot on a blocking thread, answer JSON stamped with its height.
pub(crate) async fn answer<F>(
    api: Arc<ReadApi>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    f: F,
) -> Response
where
    F: FnOnce(&Ctx<'_>) -> Result<Value, Problem> + Send + 'static,
{
    let joined = read(api, method, uri, headers, body, move |ctx| {
        let mut v = f(ctx)?;
        if let Value::Object(m) = &mut v {
            m.insert(
                "read_at".into(),
                serde_json::json!({
                    "height": ctx.tip.height,
                    "block_hash": ctx.tip.hash.to_hex(),
                    "state_root": ctx.tip.state_root.to_hex(),
                    "block_time_ms": ctx.tip.timestamp_ms,
                    "role": ctx.role.name(),
                }),
            );
        }
        Ok(v)
    })
    .await;
    match joined {
        Ok((height, v)) => {
            let next = v.get("next").and_then(Value::as_str).map(str::to_string);
            let mut r = axum::Json(v).into_response();
            if let Some(link) =
                next.and_then(|n| HeaderValue::from_str(&format!("<{n}>; rel=\"next\"")).ok())
            {
                r.headers_mut().insert(axum::http::header::LINK, link);
            }
            r.headers_mut()
                .insert(HEIGHT_HEADER, HeaderValue::from(height));
            r
        }
        Err(p) => p.into_response(),
    }
}

/// The civil date (year, month, day) of a day count since 1970-01-01 (H. Hinnant's
/// algorithm): for dates in answers and pages without a calendar dependency.
pub(crate) fn civil_date(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}
