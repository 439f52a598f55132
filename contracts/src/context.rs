//! The execution context, below every contract module: what a block gives the contracts
//! besides state ([`BlockContext`]: height, block time and chain parameters; there is no other
//! source of time, records are judged against the block header's time), the environment one
//! transaction executes in ([`TxEnv`]), the per-block memo ([`BlockCache`]) and the stored
//! record ([`RecordEnvelope`]). The modules import these from here; the dispatcher
//! ([`crate::exec`]) sits above the modules and builds a [`TxEnv`] for each transaction.

use std::collections::BTreeMap;
use std::sync::Arc;

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_types::records::epcis::EpcisEventRecord;
use tracechain_types::records::Agency;
use tracechain_types::{
    CbeacRecord, ChainId, Hash, InfoBlockRecord, ListingDigest, Payload, PublicKey, ValidatorSet,
};

use crate::index_tags::IndexTag;
use crate::participants::{self, Participant};
use crate::state::{Overlay, State, StateView, WriteSet};
use crate::state_keys;
use crate::trace_codes::NormalisedCode;

/// Chain parameters the contracts read (from genesis; changed only by a new genesis or a
/// future governance record). Defaults are the documented policy. Genesis stores them in the
/// state (`chain/params`, [`crate::genesis`]), so the genesis hash binds them.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(deny_unknown_fields, default)]
pub struct ChainParams {
    /// R-S4: scans of one item above this count raise an alert.
    pub scan_alert_threshold: u32,
    /// R-S4: a scan farther than this from the declared destination country or from the
    /// previous scans raises an alert (kilometres).
    pub scan_distance_alert_km: u32,
    /// R-Q2: largest accepted difference between receipt and order amounts (minor units,
    /// ≥ 0 — [`ChainParams::validate`]).
    pub payment_tolerance_minor: i64,
    /// R-B2: departments whose approval puts a filing in force.
    pub filing_departments: Vec<Agency>,
    /// R-B3: departments whose approval completes an export declaration.
    pub declaration_departments: Vec<Agency>,
    /// R-Q3: most records in one bulk import.
    pub max_bulk_records: u32,
    /// R-X1: how far past the block's time a record's time may lie (milliseconds), for
    /// clocks of writers that run slightly ahead. A later time is a malformed item. At most
    /// [`MAX_RECORD_FUTURE_SKEW_MS`] ([`ChainParams::validate`]).
    pub max_record_future_skew_ms: u64,
}

/// Default of [`ChainParams::max_record_future_skew_ms`]: five minutes.
pub const DEFAULT_RECORD_FUTURE_SKEW_MS: u64 = 5 * 60 * 1000;
/// Largest accepted [`ChainParams::max_record_future_skew_ms`]: one day. A larger skew would
/// let records claim events that have not happened; a genesis asking for one is refused.
pub const MAX_RECORD_FUTURE_SKEW_MS: u64 = 24 * 60 * 60 * 1000;

/// A chain parameter outside its documented range.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainParamsError {
    /// `max_record_future_skew_ms` above [`MAX_RECORD_FUTURE_SKEW_MS`].
    #[error("max_record_future_skew_ms {got} exceeds the limit {max}")]
    FutureSkewTooLarge {
        /// The value asked for.
        got: u64,
        /// The limit.
        max: u64,
    },
    /// `payment_tolerance_minor` below zero: every order would be judged mismatched (R-Q2).
    #[error("payment_tolerance_minor {0} is negative")]
    NegativePaymentTolerance(i64),
}

impl ChainParams {
    /// Check the parameters' ranges (the genesis loader calls this before the first block).
    pub fn validate(&self) -> Result<(), ChainParamsError> {
        if self.max_record_future_skew_ms > MAX_RECORD_FUTURE_SKEW_MS {
            return Err(ChainParamsError::FutureSkewTooLarge {
                got: self.max_record_future_skew_ms,
                max: MAX_RECORD_FUTURE_SKEW_MS,
            });
        }
        if self.payment_tolerance_minor < 0 {
            return Err(ChainParamsError::NegativePaymentTolerance(
                self.payment_tolerance_minor,
            ));
        }
        Ok(())
    }
}

impl Default for ChainParams {
    fn default() -> ChainParams {
        ChainParams {
            scan_alert_threshold: 5,
            scan_distance_alert_km: 1000,
            payment_tolerance_minor: 0,
            filing_departments: vec![
                Agency::Customs,
                Agency::Tax,
                Agency::Forex,
                Agency::MarketRegulation,
            ],
            declaration_departments: vec![Agency::Customs, Agency::Tax, Agency::Forex],
            max_bulk_records: 1000,
            max_record_future_skew_ms: DEFAULT_RECORD_FUTURE_SKEW_MS,
        }
    }
}

/// The block being executed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockContext {
    /// The chain (for embedded signatures, e.g. validator-set approvals).
    pub chain_id: ChainId,
    /// Block height.
    pub height: u64,
    /// Block time from the header (Unix milliseconds).
    pub timestamp_ms: u64,
    /// The validator set in force at this height (R-B1).
    pub validators: ValidatorSet,
    /// Chain parameters.
    pub params: ChainParams,
}

impl BlockContext {
    /// The latest time (Unix ms) a record of this block may carry (R-X1): the block's time
    /// plus [`ChainParams::max_record_future_skew_ms`], saturating.
    pub fn latest_record_time_ms(&self) -> i64 {
        let t = self
            .timestamp_ms
            .saturating_add(self.params.max_record_future_skew_ms);
        i64::try_from(t).unwrap_or(i64::MAX)
    }
}

/// A stored record: the record as it arrived plus who wrote it and when. Stored under
/// `rec/{tx id}`; indexes point here. The payload is never rebuilt: for a transaction it is
/// the transaction's payload, byte for byte (a manual import, R-B4, is stored as the
/// [`ManualImport`](tracechain_types::records::ManualImport) it is, note included); for an
/// item of a bulk import (R-Q3) it is the item, as the information-block record it is in
/// the import, under its derived id ([`crate::closed_loop::bulk_record_id`]) with
/// [`RecordSource::BulkImport`] naming the import. A bulk import itself is not stored: the
/// block keeps it, and its items are the records (ADR 0052).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct RecordEnvelope {
    /// The record id: the transaction id, or a bulk item's derived id.
    pub tx_id: Hash,
    /// Who signed it.
    pub signer: PublicKey,
    /// Block height.
    pub height: u64,
    /// Block time (Unix ms).
    pub timestamp_ms: u64,
    /// Where the record comes from.
    pub source: RecordSource,
    /// The record.
    pub payload: Payload,
}

/// Where a stored record comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum RecordSource {
    /// The record is a transaction's payload; the envelope's `tx_id` is the transaction's.
    Transaction,
    /// Item `index` of the bulk import (R-Q3) of transaction `bulk_tx`.
    BulkImport {
        /// The bulk import's transaction.
        bulk_tx: Hash,
        /// The item's position in it.
        index: u32,
    },
    /// Event `index` of the EPCIS capture (ADR 0081) of transaction `capture_tx`.
    EpcisCapture {
        /// The capture's transaction.
        capture_tx: Hash,
        /// The event's position in it.
        index: u32,
    },
}

/// Item `i` of a transaction's payload that carries items (a bulk import's record, an EPCIS
/// capture's event): its derived record id and the payload it is stored as; `None` when the
/// payload carries no such item.
pub fn carried_item(payload: &Payload, tx_id: &Hash, i: u32) -> Option<(Hash, Payload)> {
    match payload {
        Payload::ClosedLoop(tracechain_types::ClosedLoopRecord::BulkImport(b)) => {
            let r = b.records.get(usize::try_from(i).ok()?)?;
            Some((
                crate::closed_loop::bulk_record_id(tx_id, i),
                Payload::InfoBlock(r.clone()),
            ))
        }
        Payload::Epcis(tracechain_types::EpcisRecord::EpcisCapture(c)) => {
            let e = c.events.get(usize::try_from(i).ok()?)?;
            Some((
                crate::epcis_anchor::capture_record_id(tx_id, i),
                Payload::Epcis(tracechain_types::EpcisRecord::EpcisEvent(e.clone())),
            ))
        }
        _ => None,
    }
}

impl RecordSource {
    /// The transaction that carries the record, and the record's position in it when it is an
    /// item (of a bulk import or an EPCIS capture); `tx_id` is the envelope's own id.
    pub fn carrier(&self, tx_id: Hash) -> (Hash, Option<u32>) {
        match *self {
            RecordSource::Transaction => (tx_id, None),
            RecordSource::BulkImport { bulk_tx, index } => (bulk_tx, Some(index)),
            RecordSource::EpcisCapture { capture_tx, index } => (capture_tx, Some(index)),
        }
    }
}

impl RecordEnvelope {
    /// The information-block record the envelope holds: the payload of an information-block
    /// transaction or bulk item, or the record of a manual import (R-B4).
    pub fn info_block(&self) -> Option<&InfoBlockRecord> {
        match &self.payload {
            Payload::InfoBlock(r) => Some(r),
            Payload::Cbeac(CbeacRecord::ManualImport(m)) => Some(&m.record),
            _ => None,
        }
    }

    /// Self-declared by the exporter (R-B4, a manual import) rather than written by a CBETC
    /// node.
    pub fn self_declared(&self) -> bool {
        matches!(self.payload, Payload::Cbeac(CbeacRecord::ManualImport(_)))
    }
}

/// The Borsh tag of [`Payload::InfoBlock`] (its position in [`Payload`]), for encoding a bulk
/// item as a payload without copying it (checked by a test).
const INFO_BLOCK_TAG: u8 = 3;
/// The Borsh tags of [`Payload::Epcis`] and of `EpcisRecord::EpcisEvent` in it, for encoding a
/// capture's event as a payload without copying it (checked by a test).
const EPCIS_EVENT_TAGS: [u8; 2] = [10, 0];

/// A payload to store, borrowed: the transaction's own, or a bulk item encoded exactly as
/// `Payload::InfoBlock(item)`.
#[derive(Clone, Copy)]
enum PayloadRef<'p> {
    Whole(&'p Payload),
    InfoBlock(&'p InfoBlockRecord),
    EpcisEvent(&'p EpcisEventRecord),
}

impl BorshSerialize for PayloadRef<'_> {
    fn serialize<W: std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        match self {
            PayloadRef::Whole(p) => p.serialize(w),
            PayloadRef::InfoBlock(r) => {
                INFO_BLOCK_TAG.serialize(w)?;
                r.serialize(w)
            }
            PayloadRef::EpcisEvent(r) => {
                w.write_all(&EPCIS_EVENT_TAGS)?;
                r.serialize(w)
            }
        }
    }
}

/// The envelope as it is encoded: the same fields in the same order as [`RecordEnvelope`]
/// with the payload borrowed, so storing a record does not copy it. Borsh encodes a
/// reference exactly as the value, so the stored bytes are those of a `RecordEnvelope`
/// (checked by a test).
#[derive(BorshSerialize)]
struct RecordEnvelopeRef<'p> {
    tx_id: Hash,
    signer: PublicKey,
    height: u64,
    timestamp_ms: u64,
    source: RecordSource,
    payload: PayloadRef<'p>,
}

/// Initial buffer for an encoded envelope (typical records are a few hundred bytes; larger
/// ones grow the buffer).
const ENVELOPE_CAPACITY: usize = 512;

/// Encode the envelope of a transaction's record from its parts without copying the payload
/// (byte-identical to `encode(&RecordEnvelope { source: RecordSource::Transaction, .. })`).
pub fn encode_envelope(
    tx_id: Hash,
    signer: PublicKey,
    height: u64,
    timestamp_ms: u64,
    payload: &Payload,
) -> Vec<u8> {
    encode_envelope_of(
        tx_id,
        signer,
        height,
        timestamp_ms,
        RecordSource::Transaction,
        PayloadRef::Whole(payload),
    )
}

fn encode_envelope_of(
    tx_id: Hash,
    signer: PublicKey,
    height: u64,
    timestamp_ms: u64,
    source: RecordSource,
    payload: PayloadRef<'_>,
) -> Vec<u8> {
    crate::state::encode_sized(
        &RecordEnvelopeRef {
            tx_id,
            signer,
            height,
            timestamp_ms,
            source,
            payload,
        },
        ENVELOPE_CAPACITY,
    )
}

/// A memo of decoded registry entries and trade relationships for the transactions of one
/// block, executed in order over one base state (what [`crate::execute_block`] does; a node
/// executing transaction by transaction keeps one per block). Deterministic: it only
/// remembers what the state says, and forgets every registry entry as soon as a transaction
/// writes under `par/` (registrations and decisions) and every relationship as soon as one
/// writes under `rel/`, so a transaction never sees an entry other than the state's. It must
/// not outlive the block, nor be used over a state changed other than by the write sets of
/// [`crate::execute_transaction`].
#[derive(Debug, Default)]
pub struct BlockCache {
    participants: BTreeMap<PublicKey, Option<Arc<Participant>>>,
    pub(crate) relationships: RelationshipMemo,
}

/// Whether a two-sided trade relationship (R-A6) exists between two keys, by unordered pair
/// (smaller key first). Sized by the block: at most one entry per distinct pair looked up.
pub type RelationshipMemo = BTreeMap<(PublicKey, PublicKey), bool>;

/// Whether a write set has a key under `prefix` (write sets are sorted by key).
fn touches(ws: &WriteSet, prefix: &[u8]) -> bool {
    let first = ws.0.partition_point(|(k, _)| k.as_slice() < prefix);
    ws.0.get(first).is_some_and(|(k, _)| k.starts_with(prefix))
}

impl BlockCache {
    /// An empty cache (start of a block).
    pub fn new() -> BlockCache {
        BlockCache::default()
    }

    pub(crate) fn participant(
        &mut self,
        state: &dyn StateView,
        key: &PublicKey,
    ) -> Option<Arc<Participant>> {
        self.participants
            .entry(*key)
            .or_insert_with(|| participants::load(state, key).map(Arc::new))
            .clone()
    }

    /// Forget what a write set may have changed (any `par/` key: every registry entry; any
    /// `rel/` key: every relationship).
    pub(crate) fn after(&mut self, ws: &WriteSet) {
        if touches(ws, state_keys::PARTICIPANT_PREFIX) {
            self.participants.clear();
        }
        if touches(ws, state_keys::RELATIONSHIP_PREFIX) {
            self.relationships.clear();
        }
    }
}

/// The environment of one transaction's execution.
#[derive(Debug)]
pub struct TxEnv<'a> {
    /// The block.
    pub ctx: &'a BlockContext,
    /// Transaction id.
    pub tx_id: Hash,
    /// The signer (signature already verified by the caller).
    pub signer: PublicKey,
    /// The transaction's payload, as it arrived (what [`TxEnv::store_record`] stores).
    pub payload: &'a Payload,
    /// The signer's registry entry at the start of the transaction (shared with the block's
    /// [`BlockCache`]).
    pub participant: Option<Arc<Participant>>,
    /// Buffered state.
    pub state: Overlay<'a>,
    /// Trade relationships looked up in this block (taken from the [`BlockCache`] and given
    /// back after the transaction); read through [`TxEnv::related`].
    pub(crate) relationships: RelationshipMemo,
}

impl TxEnv<'_> {
    /// Whether `a` and `b` have a two-sided trade relationship (R-A6) in the state this
    /// transaction sees; memoised for the block (no kind that asks writes `rel/`, and the
    /// block cache forgets the memo after any transaction that does).
    pub fn related(&mut self, a: &PublicKey, b: &PublicKey) -> bool {
        let pair = if a <= b { (*a, *b) } else { (*b, *a) };
        if let Some(known) = self.relationships.get(&pair) {
            return *known;
        }
        let found = participants::relationship(&self.state, a, b).is_some();
        self.relationships.insert(pair, found);
        found
    }

    /// Put a new entry `key` (not present before) of the listing scanned under `listing`, and
    /// count it ([`state_keys::listing_count`]).
    pub(crate) fn put_listed<T: BorshSerialize>(
        &mut self,
        listing: &[u8],
        key: Vec<u8>,
        value: &T,
    ) {
        debug_assert!(
            self.state.get_ref(&key).is_none(),
            "a listed entry is written once"
        );
        let k = state_keys::listing_count(listing);
        let n: u64 = self.state.get_value(&k).unwrap_or(0);
        self.state.put_value(k, &n.saturating_add(1));
        self.state.put_value(key, value);
    }

    /// Store the transaction's payload, as it arrived, under `rec/{tx id}` and index it
    /// ([`TxEnv::index_record`]).
    pub fn store_record(&mut self, tag: IndexTag, codes: &[NormalisedCode]) {
        self.store(
            PayloadRef::Whole(self.payload),
            RecordSource::Transaction,
            tag,
            codes,
        );
    }

    /// Store item `index` of the bulk import `bulk_tx` under `rec/{tx id}` (the item's derived
    /// id, set by the caller in [`TxEnv::tx_id`]), as it is in the import, and index it.
    pub(crate) fn store_bulk_item(
        &mut self,
        item: &InfoBlockRecord,
        bulk_tx: Hash,
        index: u32,
        tag: IndexTag,
        codes: &[NormalisedCode],
    ) {
        self.store(
            PayloadRef::InfoBlock(item),
            RecordSource::BulkImport { bulk_tx, index },
            tag,
            codes,
        );
    }

    /// Store event `index` of the EPCIS capture `capture_tx` under `rec/{tx id}` (the event's
    /// derived id, set by the caller in [`TxEnv::tx_id`]), as it is in the capture, and index it.
    pub(crate) fn store_capture_item(
        &mut self,
        item: &EpcisEventRecord,
        capture_tx: Hash,
        index: u32,
        tag: IndexTag,
        codes: &[NormalisedCode],
    ) {
        self.store(
            PayloadRef::EpcisEvent(item),
            RecordSource::EpcisCapture { capture_tx, index },
            tag,
            codes,
        );
    }

    fn store(
        &mut self,
        payload: PayloadRef<'_>,
        source: RecordSource,
        tag: IndexTag,
        codes: &[NormalisedCode],
    ) {
        let bytes = encode_envelope_of(
            self.tx_id,
            self.signer,
            self.ctx.height,
            self.ctx.timestamp_ms,
            source,
            payload,
        );
        self.state.put(state_keys::record(&self.tx_id), bytes);
        self.index_record(tag, codes);
        // What a recall of each unit reaches (countries, warehouses, retailers, orders), one
        // entry per distinct fact, so that a recall reads no record (ADR 0085).
        let info = match payload {
            PayloadRef::Whole(Payload::InfoBlock(r)) => Some(r),
            PayloadRef::Whole(Payload::Cbeac(CbeacRecord::ManualImport(m))) => Some(&m.record),
            PayloadRef::InfoBlock(r) => Some(r),
            _ => None,
        };
        if let Some(r) = info {
            for f in crate::recall::RecallFact::of_record(r, self.signer, self.tx_id) {
                for c in codes {
                    let k = f.key(c);
                    if self.state.get_ref(&k).is_none() {
                        self.state.put_value(k, &f);
                    }
                }
            }
        }
    }

    /// Index the record `tx id` under each trace unit and the tag (`tur/{code}/{tag}/…`),
    /// mark the signer a provider of each unit (`prv/`, R-S7) and add the record to each
    /// unit's listing digest (`tud/{code}`).
    fn index_record(&mut self, tag: IndexTag, codes: &[NormalisedCode]) {
        for c in codes {
            self.state.put_value(
                state_keys::unit_record(c, tag, self.ctx.height, &self.tx_id),
                &(),
            );
            // R-S7: writing a record of the unit (feedback, scans and document anchors speak
            // *about* a unit and make nobody its provider, ADR 0044) makes the signer a
            // trace-service provider of it, indexed so that no flood of records can hide it.
            if !matches!(
                tag,
                IndexTag::Feedback | IndexTag::Scan | IndexTag::Document
            ) {
                let p = state_keys::unit_provider(c, &self.signer);
                if self.state.get_ref(&p).is_none() {
                    self.state.put_value(p, &self.ctx.height);
                }
            }
            // Completeness of the unit's listing: count and running digest (ADR 0050).
            let k = state_keys::unit_digest(c);
            let d = self
                .state
                .get_value::<ListingDigest>(&k)
                .unwrap_or(ListingDigest::EMPTY);
            self.state.put_value(k, &d.push(&self.tx_id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracechain_types::records::{DeliveryExceptionRecord, TraceCode};

    /// A capture's event encoded in place is the owned `Payload::Epcis(EpcisEvent(item))`.
    #[test]
    fn epcis_event_tags_are_the_borsh_tags_of_the_family_and_kind() {
        let item = EpcisEventRecord {
            event_hash: tracechain_types::Hash::digest(b"eventType=ObjectEvent"),
            event_type: tracechain_types::records::epcis::EpcisEventType::ObjectEvent,
            event_time_ms: 1,
            biz_step: Some("https://ref.gs1.org/cbv/BizStep-shipping".into()),
            trace_codes: vec![],
            prehash: "eventType=ObjectEvent".into(),
            error_declaration: None,
        };
        let owned = tracechain_types::encode(&Payload::Epcis(
            tracechain_types::EpcisRecord::EpcisEvent(item.clone()),
        ));
        assert_eq!(owned[..2], EPCIS_EVENT_TAGS);
        assert_eq!(
            borsh::to_vec(&PayloadRef::EpcisEvent(&item)).ok(),
            Some(owned)
        );
    }

    /// A bulk item encoded in place is the owned `Payload::InfoBlock(item)`, byte for byte.
    #[test]
    fn info_block_tag_is_the_borsh_tag_of_the_family() {
        let item = InfoBlockRecord::DeliveryException(DeliveryExceptionRecord {
            trace_codes: vec![TraceCode::Batch {
                gtin: "06901234567892".into(),
                batch: "B1".into(),
            }],
            ..Default::default()
        });
        let owned = tracechain_types::encode(&Payload::InfoBlock(item.clone()));
        assert_eq!(owned[0], INFO_BLOCK_TAG);
        assert_eq!(
            borsh::to_vec(&PayloadRef::InfoBlock(&item)).ok(),
            Some(owned)
        );
    }
}
