//! The dispatcher, above the contract modules: [`execute`] one transaction, [`execute_block`] a
//! block's transactions in order. Each transaction runs in a [`TxEnv`] (from
//! [`crate::context`], below the modules) and is routed to its module by payload kind.
//!
//! **State root (ADR 0050).** The root of the authenticated map over the whole state after
//! the block: the block's combined write set applied to the parent's version of the map as
//! version `height` ([`crate::state_root`]). A block without transactions keeps the parent's
//! root (and still writes its version, so every height can be proven against).

use tracechain_types::state_map::TreeUpdate;
use tracechain_types::{Hash, Payload, Transaction};

use crate::context::{BlockCache, BlockContext, TxEnv};
use crate::error::{ContractError, ErrorCode, Problem};
use crate::permissions;
use crate::state::{Overlay, StateView, WriteSet, MAX_VALUE_BYTES};
use crate::state_keys;
use crate::state_root::{state_tree_update, ParentTree};
use crate::{
    cbeac, closed_loop, documents, feedback, info_blocks, lineage, recall, registry, scan, trace,
    validators,
};

/// A transaction together with its id, computed once from its body when the node admits it
/// (the API answers `accepted` with this id; the mempool keys on it). Executing a prepared
/// transaction does not hash the body again. The id can only come from the transaction itself
/// ([`PreparedTx::new`]), never from the caller, so a prepared transaction cannot carry a
/// wrong id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedTx {
    tx: Transaction,
    id: Hash,
}

impl PreparedTx {
    /// Compute the id ([`Transaction::id`]) and keep it with the transaction.
    pub fn new(tx: Transaction) -> PreparedTx {
        let id = tx.id();
        PreparedTx { tx, id }
    }

    /// The transaction.
    pub fn tx(&self) -> &Transaction {
        &self.tx
    }

    /// Its id (equal to `self.tx().id()`).
    pub fn id(&self) -> Hash {
        self.id
    }

    /// Give the transaction back.
    pub fn into_transaction(self) -> Transaction {
        self.tx
    }
}

impl From<Transaction> for PreparedTx {
    fn from(tx: Transaction) -> PreparedTx {
        PreparedTx::new(tx)
    }
}

/// Execute one transaction against `state` (whose signature the caller verified): check
/// expiry and sequence (R-D3 replay protection), permission (R-A2), then the record kind's
/// rules. Returns the sorted write set, or the error with every offending field; on error
/// nothing is written.
pub fn execute(
    tx: &Transaction,
    ctx: &BlockContext,
    state: &dyn StateView,
) -> Result<WriteSet, ContractError> {
    execute_cached(tx, ctx, state, &mut BlockCache::new())
}

/// [`execute`] with the block's [`BlockCache`]: the same result, without decoding the
/// signer's registry entry again for every transaction of the block.
pub fn execute_cached(
    tx: &Transaction,
    ctx: &BlockContext,
    state: &dyn StateView,
    cache: &mut BlockCache,
) -> Result<WriteSet, ContractError> {
    execute_with_id(tx, tx.id(), ctx, state, cache)
}

/// [`execute_cached`] for a transaction whose id was computed at admission: the same result,
/// without hashing the body again.
pub fn execute_prepared(
    tx: &PreparedTx,
    ctx: &BlockContext,
    state: &dyn StateView,
    cache: &mut BlockCache,
) -> Result<WriteSet, ContractError> {
    execute_with_id(&tx.tx, tx.id, ctx, state, cache)
}

fn execute_with_id(
    tx: &Transaction,
    tx_id: Hash,
    ctx: &BlockContext,
    state: &dyn StateView,
    cache: &mut BlockCache,
) -> Result<WriteSet, ContractError> {
    let body = &tx.body;
    if body.expiry_height < ctx.height {
        return Err(ContractError::one(
            "R-D3",
            ErrorCode::Expired,
            "expiry_height",
            Problem::OutOfRange(format!(
                "expired at {} < block height {}",
                body.expiry_height, ctx.height
            )),
        ));
    }
    let mut env = TxEnv {
        ctx,
        tx_id,
        signer: body.signer,
        participant: None,
        state: Overlay::new(state),
        relationships: std::mem::take(&mut cache.relationships),
    };
    let seq_key = state_keys::sequence(&body.signer);
    let next: u64 = env.state.get_value(&seq_key).unwrap_or(0);
    if body.sequence != next {
        return Err(ContractError::one(
            "R-D3",
            ErrorCode::BadSequence,
            "sequence",
            Problem::OutOfRange(format!("expected {next}, got {}", body.sequence)),
        ));
    }
    env.participant = cache.participant(state, &body.signer);
    permissions::check(
        body.payload.kind(),
        &body.signer,
        env.participant.as_deref(),
        ctx,
    )?;
    dispatch(&mut env, &body.payload)?;
    let bumped = next.checked_add(1).ok_or_else(|| {
        ContractError::one(
            "R-D3",
            ErrorCode::LimitExceeded,
            "sequence",
            Problem::OutOfRange("sequence exhausted".into()),
        )
    })?;
    env.state.put_value(seq_key, &bumped);
    let ws = env.state.into_write_set();
    // On refusal the memo is dropped (it may hold what this transaction's own writes showed).
    check_value_bounds(&ws)?;
    cache.relationships = env.relationships;
    cache.after(&ws);
    Ok(ws)
}

/// Refuse a write set with a value larger than [`MAX_VALUE_BYTES`] (R-D4). Every stored type
/// has a stated bound below it (`docs/contracts.md`, checked by the value-bound tests), so
/// this never refuses an honest record; it is the last line that keeps a value every later
/// read would refuse out of the state: a refused transaction instead of a chain that no
/// validator can execute past.
fn check_value_bounds(ws: &WriteSet) -> Result<(), ContractError> {
    match ws
        .0
        .iter()
        .find_map(|(_, v)| v.as_ref().filter(|v| v.len() > MAX_VALUE_BYTES))
    {
        None => Ok(()),
        Some(v) => Err(ContractError::one(
            "R-D4",
            ErrorCode::LimitExceeded,
            "payload",
            Problem::OutOfRange(format!(
                "the record would store a value of {} bytes; the largest stored value is {} bytes",
                v.len(),
                MAX_VALUE_BYTES
            )),
        )),
    }
}

/// Route a payload to its module. Every module function has the shape
/// `fn(&mut TxEnv, &Record) -> Result<(), ContractError>` and writes through `env.state`.
fn dispatch(env: &mut TxEnv<'_>, payload: &Payload) -> Result<(), ContractError> {
    match payload {
        Payload::ValidatorSetChange(r) => validators::validator_set_change(env, r),
        Payload::RegisterParticipant(r) => registry::register(env, r),
        Payload::ParticipantDecision(r) => registry::decide(env, r),
        Payload::TradeRelationship(r) => registry::trade_relationship(env, r),
        Payload::RegisterTraceUnit(r) => trace::register_unit(env, r),
        Payload::RegisterItemCodes(r) => trace::register_items(env, r),
        Payload::Materials(_)
        | Payload::Production(_)
        | Payload::ProductFeatures(_)
        | Payload::ProductCode(_)
        | Payload::Order(_)
        | Payload::PaymentReceipt(_)
        | Payload::TradeProductCode(_)
        | Payload::Tally(_)
        | Payload::Transport(_)
        | Payload::Warehousing(_)
        | Payload::Delivery(_)
        | Payload::DeliveryException(_)
        | Payload::CustomsDeclaration(_)
        | Payload::CustomsStatus(_) => info_blocks::execute(env, payload, false),
        Payload::Transformation(r) => lineage::transformation(env, r),
        Payload::Aggregation(r) => lineage::aggregation(env, r),
        Payload::Shipment(r) => lineage::shipment(env, r),
        Payload::Filing(r) => cbeac::filing(env, r),
        Payload::FilingDecision(r) => cbeac::filing_decision(env, r),
        Payload::ExportDeclaration(r) => cbeac::export_declaration(env, r),
        Payload::DeclarationDecision(r) => cbeac::declaration_decision(env, r),
        Payload::ManualImport(r) => cbeac::manual_import(env, r),
        Payload::LinkAuthorisation(r) => closed_loop::link_authorisation(env, r),
        Payload::PaymentOrderLink(r) => closed_loop::payment_order_link(env, r),
        Payload::BulkImport(r) => closed_loop::bulk_import(env, r),
        Payload::DocumentAnchor(r) => documents::anchor(env, r),
        Payload::DocumentRevocation(r) => documents::revoke(env, r),
        Payload::Recall(r) => recall::recall(env, r),
        Payload::ConsumerScan(r) => scan::consumer_scan(env, r),
        Payload::Feedback(r) => feedback::feedback(env, r),
        Payload::FeedbackAnswer(r) => feedback::answer(env, r),
        Payload::EpcisEvent(r) => crate::epcis_anchor::anchor(env, r),
        Payload::CompanyPrefixClaim(r) => crate::prefixes::claim(env, r),
        Payload::CompanyPrefixDecision(r) => crate::prefixes::decide(env, r),
        Payload::CompanyPrefixDelegation(r) => crate::prefixes::delegate(env, r),
        Payload::Handover(r) => crate::custody::handover(env, r),
    }
}

/// The result of executing a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockExecution {
    /// One write set per transaction, in block order.
    pub write_sets: Vec<WriteSet>,
    /// All writes of the block merged (later writes win), sorted: what storage applies
    /// atomically when the block commits.
    pub combined: WriteSet,
    /// The block's state root: the root of the map after `combined` (equal to `tree.root`).
    pub state_root: Hash,
    /// The block's version of the authenticated map: the nodes storage keeps when the block
    /// commits, with the nodes it makes stale.
    pub tree: TreeUpdate,
}

/// A block that does not execute: the first failing transaction and why. Under the
/// architecture every transaction of a block must execute, so the whole block is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("transaction {index} of the block is refused: {error}")]
pub struct BlockError {
    /// Position of the failing transaction.
    pub index: usize,
    /// Its error.
    pub error: ContractError,
}

/// Execute a block's transactions in order against `state` (the parent block's state),
/// each seeing the writes of those before it, and compute the state root: version
/// `ctx.height` of the map, on top of `parent` (the map of `state`, of a lower version). Pure:
/// nothing is written; the caller applies [`BlockExecution::combined`] and stores
/// [`BlockExecution::tree`] when the block commits.
pub fn execute_block(
    txs: &[Transaction],
    ctx: &BlockContext,
    parent: ParentTree<'_>,
    state: &dyn StateView,
) -> Result<BlockExecution, BlockError> {
    run_block(
        txs.iter().map(|tx| (tx, tx.id())),
        txs.len(),
        ctx,
        parent,
        state,
    )
}

/// [`execute_block`] over transactions whose ids were computed at admission: the same result.
pub fn execute_block_prepared(
    txs: &[PreparedTx],
    ctx: &BlockContext,
    parent: ParentTree<'_>,
    state: &dyn StateView,
) -> Result<BlockExecution, BlockError> {
    run_block(
        txs.iter().map(|p| (&p.tx, p.id)),
        txs.len(),
        ctx,
        parent,
        state,
    )
}

fn run_block<'t>(
    txs: impl Iterator<Item = (&'t Transaction, Hash)>,
    count: usize,
    ctx: &BlockContext,
    parent: ParentTree<'_>,
    state: &dyn StateView,
) -> Result<BlockExecution, BlockError> {
    let mut block = Overlay::new(state);
    let mut write_sets = Vec::with_capacity(count);
    let mut cache = BlockCache::new();
    for (index, (tx, id)) in txs.enumerate() {
        let ws = execute_with_id(tx, id, ctx, &block, &mut cache)
            .map_err(|error| BlockError { index, error })?;
        block.absorb(&ws);
        write_sets.push(ws);
    }
    let combined = block.into_write_set();
    let tree = state_tree_update(parent, ctx.height, &combined);
    Ok(BlockExecution {
        write_sets,
        combined,
        state_root: tree.root,
        tree,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_d4_a_value_over_the_stored_value_bound_refuses_the_transaction() {
        let at = WriteSet(vec![(b"k".to_vec(), Some(vec![0u8; MAX_VALUE_BYTES]))]);
        assert!(
            check_value_bounds(&at).is_ok(),
            "a value at the bound is stored"
        );
        let over = WriteSet(vec![
            (b"a".to_vec(), None),
            (b"k".to_vec(), Some(vec![0u8; MAX_VALUE_BYTES + 1])),
        ]);
        let e = check_value_bounds(&over).unwrap_err();
        assert_eq!((e.rule, e.code), ("R-D4", ErrorCode::LimitExceeded));
    }
}
