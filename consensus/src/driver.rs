//! The driver: the one piece of code that performs a replica's actions, shared by the node and
//! the simulator.
//!
//! The [`Replica`] decides; the driver carries its decisions out, in order, through four
//! traits the host implements — [`VoteStore`] (durable state), [`Transport`] (messages),
//! [`Timers`] and [`Application`] (proposal building, validation, sync, reports). The node
//! implements them on RocksDB, libp2p and tokio; the simulator implements them on its virtual
//! disk, network and clock (`sim`), so the node runs the dispatch code the simulations tested.
//! Nothing here does I/O itself.
//!
//! **Fail-stop (S2).** A host method returns [`Halt`] when it cannot do what was asked — above
//! all when a durable write failed. The driver then performs none of the step's remaining
//! actions (no message may leave whose signature is not durable) and refuses every later input:
//! the node must stop and restart from its durable state ([`Input::Restore`]).

use tracechain_types::{
    Block, CommitCertificate, Hash, PublicKey, SignatureVerifier, ValidatorSet,
};

use crate::error::ConsensusError;
use crate::messages::Message;
use crate::replica::{Action, Evidence, Input, Replica, TimerId, VoteRecord};
use crate::signer::ConsensusSigner;

/// Why the host cannot go on (a durable write failed, the process is shutting down, or — in the
/// simulator — the node crashed). The driver stops at the action that failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("consensus driver halted: {0}")]
pub struct Halt(pub String);

/// Durable state of the replica (S2): each method returns only once its write is durable.
pub trait VoteStore {
    /// Store a block of the current height by hash; a later vote record names it.
    fn store_block(&mut self, hash: Hash, block: Block) -> Result<(), Halt>;
    /// Replace the vote record.
    fn persist(&mut self, record: VoteRecord) -> Result<(), Halt>;
    /// Block, certificate, state changes, validator sets and the next height's vote record in
    /// one atomic write.
    fn commit(
        &mut self,
        block: Block,
        cert: CommitCertificate,
        sets: Vec<(u64, ValidatorSet)>,
        record: VoteRecord,
    ) -> Result<(), Halt>;
}

/// Messages to validators over authenticated channels.
pub trait Transport {
    /// Send to one validator.
    fn send(&mut self, to: PublicKey, message: Message) -> Result<(), Halt>;
    /// Send to each of `to` (the replica computed the recipients, never itself).
    fn broadcast(&mut self, to: Vec<PublicKey>, message: Message) -> Result<(), Halt>;
}

/// One-shot timers that come back as [`Input::Timer`].
pub trait Timers {
    /// Start or restart `timer`.
    fn set_timer(&mut self, timer: TimerId, after_ms: u64) -> Result<(), Halt>;
    /// Cancel `timer` (no-op if not set).
    fn cancel_timer(&mut self, timer: TimerId) -> Result<(), Halt>;
}

/// What a proposal must build on ([`Action::RequestProposal`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProposalRequest {
    /// Height.
    pub height: u64,
    /// View.
    pub view: u64,
    /// Parent hash.
    pub parent: Hash,
    /// Parent timestamp; the block's must be greater.
    pub parent_timestamp_ms: u64,
    /// The validator-set hash the header must carry.
    pub validator_set_hash: Hash,
}

/// The application around the replica: the mempool and executor, block sync and reporting.
/// Answers come back later as inputs ([`Input::ProposalReady`], [`Input::ProposalValidated`] /
/// [`Input::ProposalRefused`], [`Input::BlockSynced`]).
pub trait Application {
    /// Build a block (ID2).
    fn request_proposal(&mut self, request: ProposalRequest) -> Result<(), Halt>;
    /// Execute a proposal against the committed state.
    fn validate_proposal(&mut self, height: u64, view: u64, block: Block) -> Result<(), Halt>;
    /// Fetch committed blocks `from_height..=to_height` (`to_height` is a hint).
    fn request_sync(&mut self, from_height: u64, to_height: u64) -> Result<(), Halt>;
    /// Misbehaviour evidence (logs, metrics, operator alert).
    fn evidence(&mut self, evidence: Evidence) -> Result<(), Halt>;
    /// A refused input (logs, metrics).
    fn rejected(&mut self, from: PublicKey, error: ConsensusError) -> Result<(), Halt>;
}

/// Everything a driver needs from its host.
pub trait Host: VoteStore + Transport + Timers + Application {}
impl<T: VoteStore + Transport + Timers + Application> Host for T {}

/// Perform `actions` in order on `host`, stopping at the first that fails (fail-stop, S2).
/// Returns how many were performed with the error, if any. This is the dispatch both the node
/// ([`Driver::handle`]) and the simulator use.
pub fn perform<H: Host + ?Sized>(
    actions: impl IntoIterator<Item = Action>,
    host: &mut H,
) -> Result<usize, (usize, Halt)> {
    let mut done = 0;
    for action in actions {
        let result = match action {
            Action::StoreBlock { hash, block } => host.store_block(hash, block),
            Action::Persist(record) => host.persist(record),
            Action::Commit {
                block,
                cert,
                sets,
                record,
            } => host.commit(block, cert, sets, record),
            Action::Send { to, message } => host.send(to, message),
            Action::Broadcast { to, message } => host.broadcast(to, message),
            Action::SetTimer { timer, after_ms } => host.set_timer(timer, after_ms),
            Action::CancelTimer(timer) => host.cancel_timer(timer),
            Action::RequestProposal {
                height,
                view,
                parent,
                parent_timestamp_ms,
                validator_set_hash,
            } => host.request_proposal(ProposalRequest {
                height,
                view,
                parent,
                parent_timestamp_ms,
                validator_set_hash,
            }),
            Action::ValidateProposal {
                height,
                view,
                block,
            } => host.validate_proposal(height, view, block),
            Action::RequestSync {
                from_height,
                to_height,
            } => host.request_sync(from_height, to_height),
            Action::Evidence(e) => host.evidence(e),
            Action::Rejected { from, error } => host.rejected(from, error),
        };
        if let Err(halt) = result {
            return Err((done, halt));
        }
        done += 1;
    }
    Ok(done)
}

/// A replica and its dispatch: feed inputs with [`Driver::handle`].
#[derive(Debug)]
pub struct Driver<S, V> {
    replica: Replica<S, V>,
    actions: Vec<Action>,
    halted: Option<Halt>,
}

impl<S: ConsensusSigner, V: SignatureVerifier> Driver<S, V> {
    /// Drive `replica` (fresh from [`Replica::new`]; the first input is [`Input::Start`] or
    /// [`Input::Restore`]).
    pub fn new(replica: Replica<S, V>) -> Self {
        Driver {
            replica,
            actions: Vec::new(),
            halted: None,
        }
    }

    /// The replica (read only: every change goes through [`Driver::handle`]).
    pub fn replica(&self) -> &Replica<S, V> {
        &self.replica
    }

    /// Why the driver stopped, once it has.
    pub fn halted(&self) -> Option<&Halt> {
        self.halted.as_ref()
    }

    /// Step the replica without performing the actions, for a host that must look at the
    /// replica between the step and the dispatch (the simulator checks its bounds); it then
    /// performs them with [`perform`].
    pub fn step(&mut self, input: Input) -> Vec<Action> {
        self.replica.step(input)
    }

    /// Step the replica with `input` and perform its actions in order on `host`. After a
    /// [`Halt`] every later input is refused with the same halt: restart from durable state.
    pub fn handle<H: Host + ?Sized>(&mut self, input: Input, host: &mut H) -> Result<(), Halt> {
        if let Some(h) = &self.halted {
            return Err(h.clone());
        }
        self.actions.clear();
        self.replica.step_into(input, &mut self.actions);
        match perform(self.actions.drain(..), host) {
            Ok(_) => Ok(()),
            Err((_, halt)) => {
                self.halted = Some(halt.clone());
                Err(halt)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replica::Config;
    use crate::signer::Ed25519Signer;
    use tracechain_types::{BlockHeader, ChainId, Ed25519, SecretKey, Validator};

    /// A host that records what it performed and fails at the first action of one kind.
    #[derive(Default)]
    struct Recorder {
        done: Vec<&'static str>,
        fail_at: Option<&'static str>,
        requests: Vec<ProposalRequest>,
    }

    impl Recorder {
        fn op(&mut self, kind: &'static str) -> Result<(), Halt> {
            if self.fail_at == Some(kind) {
                return Err(Halt(format!("{kind} failed")));
            }
            self.done.push(kind);
            Ok(())
        }
    }

    impl VoteStore for Recorder {
        fn store_block(&mut self, _: Hash, _: Block) -> Result<(), Halt> {
            self.op("store_block")
        }
        fn persist(&mut self, _: VoteRecord) -> Result<(), Halt> {
            self.op("persist")
        }
        fn commit(
            &mut self,
            _: Block,
            _: CommitCertificate,
            _: Vec<(u64, ValidatorSet)>,
            _: VoteRecord,
        ) -> Result<(), Halt> {
            self.op("commit")
        }
    }
    impl Transport for Recorder {
        fn send(&mut self, _: PublicKey, _: Message) -> Result<(), Halt> {
            self.op("send")
        }
        fn broadcast(&mut self, _: Vec<PublicKey>, _: Message) -> Result<(), Halt> {
            self.op("broadcast")
        }
    }
    impl Timers for Recorder {
        fn set_timer(&mut self, _: TimerId, _: u64) -> Result<(), Halt> {
            self.op("set_timer")
        }
        fn cancel_timer(&mut self, _: TimerId) -> Result<(), Halt> {
            self.op("cancel_timer")
        }
    }
    impl Application for Recorder {
        fn request_proposal(&mut self, r: ProposalRequest) -> Result<(), Halt> {
            self.requests.push(r);
            self.op("request_proposal")
        }
        fn validate_proposal(&mut self, _: u64, _: u64, _: Block) -> Result<(), Halt> {
            self.op("validate_proposal")
        }
        fn request_sync(&mut self, _: u64, _: u64) -> Result<(), Halt> {
            self.op("request_sync")
        }
        fn evidence(&mut self, _: Evidence) -> Result<(), Halt> {
            self.op("evidence")
        }
        fn rejected(&mut self, _: PublicKey, _: ConsensusError) -> Result<(), Halt> {
            self.op("rejected")
        }
    }

    /// A single validator (n = 1) with a proposal request pending.
    fn driver_with_request(host: &mut Recorder) -> Driver<Ed25519Signer, Ed25519> {
        let key = SecretKey::from_seed([9; 32]);
        let set = ValidatorSet::new(vec![Validator {
            public_key: key.public(),
            name: "customs".into(),
        }])
        .unwrap_or_else(|e| panic!("{e}"));
        let chain = ChainId::new("tracechain-driver").unwrap_or_else(|e| panic!("{e}"));
        let cfg = Config::new(chain, Hash::tagged(b"g", &[]), 1, set, |_| None);
        let mut d = Driver::new(Replica::new(cfg, Ed25519Signer::new(key), Ed25519));
        d.handle(Input::Start, host)
            .unwrap_or_else(|e| panic!("{e}"));
        d.handle(Input::PendingWork(true), host)
            .unwrap_or_else(|e| panic!("{e}"));
        d
    }

    fn block_for(r: &ProposalRequest, proposer: PublicKey) -> Block {
        Block {
            header: BlockHeader {
                chain_id: ChainId::new("tracechain-driver").unwrap_or_else(|e| panic!("{e}")),
                height: r.height,
                view: r.view,
                parent: r.parent,
                timestamp_ms: r.parent_timestamp_ms + 1,
                proposer,
                validator_set_hash: r.validator_set_hash,
                tx_root: Block::compute_tx_root(&[]),
                state_root: Hash::tagged(b"state", &[]),
            },
            txs: Vec::new(),
        }
    }

    /// The driver performs every action in the replica's order: the block and the vote record
    /// are durable before the pre-prepare leaves, and n = 1 commits at once.
    #[test]
    fn s2_driver_performs_in_order() {
        let mut host = Recorder::default();
        let mut d = driver_with_request(&mut host);
        let req = host.requests[0];
        let block = block_for(&req, d.replica().public());
        host.done.clear();
        d.handle(
            Input::ProposalReady {
                height: 1,
                view: 0,
                block,
                set_change: None,
            },
            &mut host,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let pos = |k: &str| host.done.iter().position(|d| *d == k);
        let (Some(store), Some(persist), Some(send), Some(commit)) = (
            pos("store_block"),
            pos("persist"),
            pos("broadcast"),
            pos("commit"),
        ) else {
            panic!("missing actions: {:?}", host.done)
        };
        assert!(
            store < persist && persist < send && send < commit,
            "{:?}",
            host.done
        );
        assert_eq!(d.replica().height(), 2);
    }

    /// `perform` says how many actions it performed: all of them, or those before the one
    /// that halted.
    #[test]
    fn perform_counts_what_it_performed() {
        let actions = || {
            vec![
                Action::CancelTimer(TimerId::Sync),
                Action::SetTimer {
                    timer: TimerId::Sync,
                    after_ms: 5,
                },
                Action::RequestSync {
                    from_height: 1,
                    to_height: 2,
                },
            ]
        };
        let mut host = Recorder::default();
        assert_eq!(perform(actions(), &mut host), Ok(3));
        let mut host = Recorder {
            fail_at: Some("request_sync"),
            ..Recorder::default()
        };
        assert_eq!(
            perform(actions(), &mut host),
            Err((2, Halt("request_sync failed".into())))
        );
        assert_eq!(host.done, vec!["cancel_timer", "set_timer"]);
    }

    /// Fail-stop (S2): when a durable write fails, nothing after it is performed — no message
    /// leaves whose signature is not durable — and every later input is refused with the same
    /// halt (the node restarts from its durable state).
    #[test]
    fn s2_failed_persist_halts_before_the_send_and_for_good() {
        let mut host = Recorder::default();
        let mut d = driver_with_request(&mut host);
        let req = host.requests[0];
        let block = block_for(&req, d.replica().public());
        host.done.clear();
        host.fail_at = Some("persist");
        let input = Input::ProposalReady {
            height: 1,
            view: 0,
            block,
            set_change: None,
        };
        let halt = d.handle(input.clone(), &mut host).err();
        assert_eq!(halt, Some(Halt("persist failed".into())));
        assert_eq!(
            host.done,
            vec!["store_block"],
            "nothing after the failed persist"
        );
        assert_eq!(d.halted(), halt.as_ref());
        host.fail_at = None;
        assert_eq!(d.handle(input, &mut host).err(), halt);
        assert_eq!(d.handle(Input::Timer(TimerId::Sync), &mut host).err(), halt);
        // The replica in memory ran ahead of the disk: it is never stepped again.
        assert_eq!(
            host.done,
            vec!["store_block"],
            "a halted driver performs nothing"
        );
    }
}
