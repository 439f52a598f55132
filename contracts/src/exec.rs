//! The dispatcher, above the contract modules: [`execute_block`], the block entry point, runs a
//! block's verified transactions ([`VerifiedTx`]) in order; [`execute_transaction`] runs one
//! (the proposer's choice, the mempool's admission check). Each transaction runs in a [`TxEnv`] (from
//! [`crate::context`], below the modules) and is routed to its module by payload family and kind.
//!
//! **State root (ADR 0050).** The root of the authenticated map over the whole state after
//! the block: the block's combined write set applied to the parent's version of the map as
//! version `height` ([`crate::state_root`]). A block without transactions keeps the parent's
//! root (and still writes its version, so every height can be proven against).

use tracechain_types::state_map::TreeUpdate;
use tracechain_types::{
    CbeacRecord, ChainRecord, ClosedLoopRecord, ConsumerRecord, DocumentRecord, EpcisRecord, Hash,
    LineageRecord, ParticipantRecord, Payload, RecallRecord, TraceUnitRecord, Transaction,
};

use crate::context::{BlockCache, BlockContext, TxEnv};
use crate::error::{ContractError, ErrorCode, Problem};
use crate::info_blocks::StoreAs;
use crate::permissions;
use crate::rules::Rule;
use crate::state::{Overlay, StateView, WriteSet, MAX_VALUE_BYTES};
use crate::state_keys;
use crate::state_root::{state_tree_update, ParentTree};
use crate::verified_tx::VerifiedTx;
use crate::{
    cbeac, closed_loop, custody, documents, epcis_anchor, feedback, info_blocks, lineage, prefixes,
    recall, registry, scan, trace, validators,
};

/// Execute one transaction of a block being built, against `state` (the parent's state with
/// the writes of the block's transactions before it) and the block's [`BlockCache`]: check
/// expiry and sequence (R-D3 replay protection), permission (R-A2), then the record kind's
/// rules. Returns the sorted write set, or the error with every offending field; on error
/// nothing is written. This is the proposer's choice of transactions (a refused one stays out
/// of the block) and the mempool's admission check; a block is executed with
/// [`execute_block`], which runs exactly this for each transaction.
pub fn execute_transaction(
    tx: &VerifiedTx,
    ctx: &BlockContext,
    state: &dyn StateView,
    cache: &mut BlockCache,
) -> Result<WriteSet, ContractError> {
    execute_with_id(tx.tx(), tx.id(), ctx, state, cache)
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
            Rule::RD3,
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
        payload: &body.payload,
        participant: None,
        state: Overlay::new(state),
        relationships: std::mem::take(&mut cache.relationships),
    };
    let seq_key = state_keys::sequence(&body.signer);
    let next: u64 = env.state.get_value(&seq_key).unwrap_or(0);
    if body.sequence != next {
        return Err(ContractError::one(
            Rule::RD3,
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
            Rule::RD3,
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
            Rule::RD4,
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

/// Route a payload to its module, family by family. Every module function has the shape
/// `fn(&mut TxEnv, &Record) -> Result<(), ContractError>` and writes through `env.state`.
fn dispatch(env: &mut TxEnv<'_>, payload: &Payload) -> Result<(), ContractError> {
    match payload {
        Payload::Chain(ChainRecord::ValidatorSetChange(r)) => {
            validators::validator_set_change(env, r)
        }
        Payload::Participant(p) => match p {
            ParticipantRecord::RegisterParticipant(r) => registry::register(env, r),
            ParticipantRecord::ParticipantDecision(r) => registry::decide(env, r),
            ParticipantRecord::TradeRelationship(r) => registry::trade_relationship(env, r),
            ParticipantRecord::CompanyPrefixClaim(r) => prefixes::claim(env, r),
            ParticipantRecord::CompanyPrefixDecision(r) => prefixes::decide(env, r),
            ParticipantRecord::CompanyPrefixDelegation(r) => prefixes::delegate(env, r),
        },
        Payload::TraceUnit(t) => match t {
            TraceUnitRecord::RegisterTraceUnit(r) => trace::register_unit(env, r),
            TraceUnitRecord::RegisterItemCodes(r) => trace::register_items(env, r),
            TraceUnitRecord::Handover(r) => custody::handover(env, r),
        },
        Payload::InfoBlock(r) => info_blocks::execute(env, r, StoreAs::Transaction),
        Payload::Lineage(l) => match l {
            LineageRecord::Transformation(r) => lineage::transformation(env, r),
            LineageRecord::Aggregation(r) => lineage::aggregation(env, r),
            LineageRecord::Shipment(r) => lineage::shipment(env, r),
        },
        Payload::Cbeac(c) => match c {
            CbeacRecord::Filing(r) => cbeac::filing(env, r),
            CbeacRecord::FilingDecision(r) => cbeac::filing_decision(env, r),
            CbeacRecord::ExportDeclaration(r) => cbeac::export_declaration(env, r),
            CbeacRecord::DeclarationDecision(r) => cbeac::declaration_decision(env, r),
            CbeacRecord::ManualImport(r) => cbeac::manual_import(env, r),
        },
        Payload::ClosedLoop(c) => match c {
            ClosedLoopRecord::LinkAuthorisation(r) => closed_loop::link_authorisation(env, r),
            ClosedLoopRecord::PaymentOrderLink(r) => closed_loop::payment_order_link(env, r),
            ClosedLoopRecord::BulkImport(r) => closed_loop::bulk_import(env, r),
        },
        Payload::Document(d) => match d {
            DocumentRecord::DocumentAnchor(r) => documents::anchor(env, r),
            DocumentRecord::DocumentRevocation(r) => documents::revoke(env, r),
        },
        Payload::Recall(RecallRecord::Recall(r)) => recall::recall(env, r),
        Payload::Consumer(c) => match c {
            ConsumerRecord::ConsumerScan(r) => scan::consumer_scan(env, r),
            ConsumerRecord::Feedback(r) => feedback::feedback(env, r),
            ConsumerRecord::FeedbackAnswer(r) => feedback::answer(env, r),
        },
        Payload::Epcis(EpcisRecord::EpcisEvent(r)) => epcis_anchor::anchor(env, r),
        Payload::Epcis(EpcisRecord::EpcisCapture(r)) => epcis_anchor::capture(env, r),
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

/// A block's writes without its version of the map: what [`execute_block`] computes before
/// the state root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockWrites {
    /// One write set per transaction, in block order.
    pub write_sets: Vec<WriteSet>,
    /// All writes of the block merged (later writes win), sorted.
    pub combined: WriteSet,
}

/// Execute a block's transactions exactly as [`execute_block`] does, without computing the
/// map's new version: for a caller that keeps the root its own way (the auditor's replay,
/// which keeps only the latest version of the map in memory).
pub fn execute_block_writes(
    txs: &[VerifiedTx],
    ctx: &BlockContext,
    state: &dyn StateView,
) -> Result<BlockWrites, BlockError> {
    let mut block = Overlay::new(state);
    let mut write_sets = Vec::with_capacity(txs.len());
    let mut cache = BlockCache::new();
    for (index, tx) in txs.iter().enumerate() {
        let ws = execute_transaction(tx, ctx, &block, &mut cache)
            .map_err(|error| BlockError { index, error })?;
        block.absorb(&ws);
        write_sets.push(ws);
    }
    Ok(BlockWrites {
        write_sets,
        combined: block.into_write_set(),
    })
}

/// The block entry point: execute a block's transactions, whose signatures were verified
/// ([`VerifiedTx`]), in order against `state` (the parent block's state), each seeing the
/// writes of those before it, and compute the state root: version `ctx.height` of the map, on
/// top of `parent` (the map of `state`, of a lower version). Pure: nothing is written; the
/// caller applies [`BlockExecution::combined`] and stores [`BlockExecution::tree`] when the
/// block commits.
pub fn execute_block(
    txs: &[VerifiedTx],
    ctx: &BlockContext,
    parent: ParentTree<'_>,
    state: &dyn StateView,
) -> Result<BlockExecution, BlockError> {
    let BlockWrites {
        write_sets,
        combined,
    } = execute_block_writes(txs, ctx, state)?;
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
        assert_eq!((e.rule, e.code), (Rule::RD4, ErrorCode::LimitExceeded));
    }
}
