//! Both workloads executed through the contracts from a genesis state like `genesis init`
//! writes (four validators, a regulator of each validating agency, default parameters), as a
//! chain would: every record must be accepted, whatever order the signers of one stage (or
//! phase) land in within it.

use std::collections::BTreeMap;

use tracechain_contracts::genesis::Genesis;
use tracechain_contracts::{
    execute_transaction, BlockCache, BlockContext, ChainParams, MemoryState, State, VerifiedTx,
};
use tracechain_types::records::*;
use tracechain_types::{ChainId, Hash, PublicKey, SecretKey, TxBody, Validator, ValidatorSet};
use tracechain_workload::{flow, mix, Stage, Step, DAY_MS};

/// 2026-12-01T00:00:00Z.
const NOW_MS: u64 = 1_796_083_200_000;

fn key(name: &str) -> SecretKey {
    SecretKey::from_seed(Hash::digest(name.as_bytes()).0)
}

fn chain() -> ChainId {
    ChainId::new("tracechain-workload-test").unwrap()
}

const REGULATORS: [(&str, Agency); 4] = [
    ("customs-regulator", Agency::Customs),
    ("tax-regulator", Agency::Tax),
    ("forex-regulator", Agency::Forex),
    ("market-regulation-regulator", Agency::MarketRegulation),
];

struct Chain {
    state: MemoryState,
    validators: ValidatorSet,
    height: u64,
    keys: BTreeMap<String, SecretKey>,
    seqs: BTreeMap<PublicKey, u64>,
}

impl Chain {
    fn new() -> Chain {
        let validators = ValidatorSet::new(
            (0..4)
                .map(|i| Validator {
                    public_key: key(&format!("validator-{i}")).public(),
                    name: format!("validator-{i}"),
                })
                .collect(),
        )
        .unwrap();
        let regulators = REGULATORS
            .iter()
            .enumerate()
            .map(|(i, (name, agency))| {
                tracechain_workload::genesis_regulator(name, *agency, i, key(name).public())
            })
            .collect();
        let genesis = Genesis {
            chain_id: chain(),
            timestamp_ms: NOW_MS - DAY_MS,
            validators: validators.clone(),
            regulators,
            params: ChainParams::default(),
        }
        .build()
        .expect("genesis builds");
        let mut state = MemoryState::new();
        state.apply_owned(genesis.writes);
        Chain {
            state,
            validators,
            height: 0,
            keys: BTreeMap::new(),
            seqs: BTreeMap::new(),
        }
    }

    fn signer(&mut self, name: &str) -> SecretKey {
        let k = self
            .keys
            .entry(name.to_string())
            .or_insert_with(|| key(name));
        SecretKey::from_seed(k.seed())
    }

    fn publics(&mut self, names: impl IntoIterator<Item = String>) -> BTreeMap<String, PublicKey> {
        names
            .into_iter()
            .map(|n| {
                let k = self.signer(&n).public();
                (n, k)
            })
            .collect()
    }

    /// One block of `steps`, executed in the given order.
    fn block(&mut self, steps: &[&Step]) {
        self.height += 1;
        let ctx = BlockContext {
            chain_id: chain(),
            height: self.height,
            timestamp_ms: NOW_MS + self.height * 1000,
            validators: self.validators.clone(),
            params: ChainParams::default(),
        };
        let mut cache = BlockCache::new();
        for s in steps {
            let k = self.signer(&s.signer);
            let seq = self.seqs.entry(k.public()).or_default();
            let tx = TxBody {
                signer: k.public(),
                sequence: *seq,
                expiry_height: self.height + 100,
                payload: s.payload.clone(),
            }
            .sign(&chain(), &k);
            let v = VerifiedTx::verify(tx, &chain(), &tracechain_types::Ed25519).unwrap();
            match execute_transaction(&v, &ctx, &self.state, &mut cache) {
                Ok(ws) => {
                    self.state.apply_owned(ws);
                    *seq += 1;
                }
                Err(e) => panic!("{} ({}): refused: {e}", s.label, s.signer),
            }
        }
    }
}

/// The steps of a stage with the signers in reverse order (each signer's own order kept):
/// the other extreme of how a stage's records may land in blocks.
fn signers_reversed(steps: &[Step]) -> Vec<&Step> {
    let mut order: Vec<&str> = Vec::new();
    for s in steps {
        if !order.contains(&s.signer.as_str()) {
            order.push(&s.signer);
        }
    }
    order
        .iter()
        .rev()
        .flat_map(|n| steps.iter().filter(move |s| s.signer == *n))
        .collect()
}

fn run_stages(chain: &mut Chain, stages: &[Stage], reversed: bool) {
    for st in stages {
        let steps: Vec<&Step> = if reversed {
            signers_reversed(&st.steps)
        } else {
            st.steps.iter().collect()
        };
        chain.block(&steps);
    }
}

#[test]
fn the_tea_export_flow_is_accepted_in_either_signer_order() {
    for reversed in [false, true] {
        let mut c = Chain::new();
        let keys = c.publics(flow::PARTICIPANTS.iter().map(|s| s.to_string()));
        let stages = flow::tea_export(&keys, NOW_MS).unwrap();
        run_stages(&mut c, &stages, reversed);
        let records: usize = stages.iter().map(|s| s.steps.len()).sum();
        assert_eq!(
            records, 61,
            "the flow's size is part of the demo's documentation"
        );

        // What the demo promises to show: the featured tin's story is complete, released by
        // customs, with its certificates valid and two scans.
        let b = flow::batch();
        let report = tracechain_contracts::completeness::report(&c.state, &b).unwrap();
        assert!(
            report.complete,
            "the FULL-mode batch is complete: {report:?}"
        );
        let verdict =
            tracechain_contracts::scan::verdict(&c.state, &flow::featured_unit()).unwrap();
        assert_eq!(verdict.count, 2, "{verdict:?}");
        assert!(!verdict.suspicious, "{verdict:?}");
        let origin = tracechain_contracts::documents::verify(
            &c.state,
            &flow::certificate_of_origin(),
            NOW_MS as i64,
        );
        assert!(origin.valid, "{origin:?}");
    }
}

#[test]
fn the_flow_names_a_missing_participant() {
    let mut c = Chain::new();
    let mut keys = c.publics(flow::PARTICIPANTS.iter().map(|s| s.to_string()));
    keys.remove("customs-broker");
    let e = flow::tea_export(&keys, NOW_MS).unwrap_err();
    assert!(e.contains("customs-broker"), "{e}");
}

#[test]
fn the_bench_mix_is_accepted_with_its_phases_interleaved_across_batches() {
    let casts = 3;
    for reversed in [false, true] {
        let mut c = Chain::new();
        let mut names: Vec<String> = REGULATORS.iter().map(|(n, _)| n.to_string()).collect();
        for i in 0..casts {
            names.extend(mix::cast_names(i));
        }
        let keys = c.publics(names);
        let regulators: Vec<String> = REGULATORS.iter().map(|(n, _)| n.to_string()).collect();
        let setup = mix::setup(&keys, casts, &regulators).unwrap();
        run_stages(&mut c, &setup, reversed);
        // Pipelined as the load generator sends them: phase p of batch n in the same block
        // as phase p-1 of batch n+1.
        let batches = 4u64;
        let all: Vec<[Vec<Step>; mix::PHASES]> = (0..batches)
            .flat_map(|n| (0..casts).map(move |cast| mix::unit(cast, n)))
            .collect();
        assert!(all
            .iter()
            .all(|u| u.iter().map(Vec::len).sum::<usize>() == mix::RECORDS_PER_UNIT));
        let per_batch = casts;
        let rounds = batches as usize + mix::PHASES - 1;
        for r in 0..rounds {
            let mut block: Vec<Step> = Vec::new();
            for (i, u) in all.iter().enumerate() {
                let n = i / per_batch;
                if r >= n && r - n < mix::PHASES {
                    block.extend(u[r - n].iter().cloned());
                }
            }
            let steps = if reversed {
                signers_reversed(&block)
            } else {
                block.iter().collect()
            };
            c.block(&steps);
        }
    }
}

#[test]
fn cast_keys_are_deterministic_and_distinct() {
    assert_eq!(
        mix::cast_key(7, 1, 2).public(),
        mix::cast_key(7, 1, 2).public()
    );
    let mut seen = std::collections::BTreeSet::new();
    for seed in [1u64, 2] {
        for c in 0..5 {
            for r in 0..mix::ROLES.len() {
                assert!(seen.insert(mix::cast_key(seed, c, r).public()));
            }
        }
    }
}
