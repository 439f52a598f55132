//! A data directory holding the demo's tea export flow, built block by block through the
//! contracts and certified by four validators (`ChainBuilder`), and the read API over it.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, Response};
use http_body_util::BodyExt;
use tower::ServiceExt;
use tracechain_api::{ReadApi, ReadConfig};
use tracechain_contracts::genesis::Genesis;
use tracechain_contracts::ChainParams;
use tracechain_storage::{ChainBuilder, Store, StoreOptions};
use tracechain_types::read_auth::sign_read;
use tracechain_types::records::*;
use tracechain_types::{ChainId, Hash, PublicKey, SecretKey, TxBody, Validator, ValidatorSet};
use tracechain_workload::{flow, DAY_MS};

/// 2026-12-01T00:00:00Z.
pub const NOW_MS: u64 = 1_796_083_200_000;

pub fn key(name: &str) -> SecretKey {
    SecretKey::from_seed(Hash::digest(name.as_bytes()).0)
}

pub fn chain() -> ChainId {
    ChainId::new("tracechain-api-test").unwrap()
}

const REGULATORS: [(&str, Agency); 4] = [
    ("customs-regulator", Agency::Customs),
    ("tax-regulator", Agency::Tax),
    ("forex-regulator", Agency::Forex),
    ("market-regulation-regulator", Agency::MarketRegulation),
];

pub fn genesis() -> Genesis {
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
    Genesis {
        chain_id: chain(),
        timestamp_ms: NOW_MS - DAY_MS,
        validators,
        regulators,
        params: ChainParams::default(),
    }
}

/// The outsider cast's names (`mix::cast_names(0)`).
pub const OUTSIDERS: [&str; 6] = [
    "bench-0-producer",
    "bench-0-trader",
    "bench-0-payment",
    "bench-0-logistics",
    "bench-0-port",
    "bench-0-consumer",
];

/// The flow's chain: one block per stage.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub store: Arc<Store>,
    pub now: Arc<AtomicU64>,
    /// Appends more blocks while routers read the store.
    pub builder: std::sync::Mutex<ChainBuilder>,
    /// Each signer's next sequence.
    pub seqs: std::sync::Mutex<BTreeMap<PublicKey, u64>>,
}

pub fn build() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let g = genesis();
    let b = ChainBuilder::open(
        dir.path(),
        &g,
        (0..4).map(|i| key(&format!("validator-{i}"))).collect(),
        &StoreOptions::default(),
    )
    .unwrap();
    let keys: BTreeMap<String, PublicKey> = flow::PARTICIPANTS
        .iter()
        .map(|n| (n.to_string(), key(n).public()))
        .collect();
    let mut stages = flow::tea_export(&keys, NOW_MS).unwrap();
    // Then an outsider cast (the load generator's set-up of cast 0): approved participants
    // that took part in nothing of the flow.
    let mut all = keys.clone();
    for n in OUTSIDERS {
        all.insert(n.to_string(), key(n).public());
    }
    let regs: Vec<String> = REGULATORS.iter().map(|r| r.0.to_string()).collect();
    stages.extend(tracechain_workload::mix::setup(&all, 1, &regs).unwrap());
    // A latecomer registers; no regulator has decided yet.
    stages.push(tracechain_workload::Stage {
        title: "a latecomer registers".into(),
        steps: vec![tracechain_workload::Step {
            signer: "latecomer".into(),
            label: "latecomer registers".into(),
            payload: tracechain_types::Payload::Participant(
                tracechain_types::ParticipantRecord::RegisterParticipant(ParticipantRegistration {
                    category: ParticipantCategory::Logistics,
                    node_types: vec![],
                    identity: Identity::Organisation {
                        legal_name: "Latecomer Freight Co.".into(),
                        registration_id: RegistrationId::Uscc(tracechain_workload::uscc(
                            "91350100000009999",
                        )),
                    },
                    country: "CN".into(),
                    identity_document: Hash::digest(b"latecomer licence"),
                }),
            ),
        }],
    });
    // An outsider files with customs and tax; neither has decided yet.
    stages.push(tracechain_workload::Stage {
        title: "an outsider files".into(),
        steps: vec![tracechain_workload::Step {
            signer: "bench-0-producer".into(),
            label: "outsider's filing".into(),
            payload: tracechain_types::Payload::Cbeac(tracechain_types::CbeacRecord::Filing(
                Filing {
                    filing_ref: "OUTSIDER-FILING-1".into(),
                    document: Hash::digest(b"outsider filing form"),
                    departments: vec![
                        Agency::Customs,
                        Agency::Tax,
                        Agency::Forex,
                        Agency::MarketRegulation,
                    ],
                    valid_until: "2027-12-31".into(),
                },
            )),
        }],
    });
    // A consumer leaves feedback about the tin.
    stages.push(tracechain_workload::Stage {
        title: "a consumer's feedback".into(),
        steps: vec![tracechain_workload::Step {
            signer: "consumer-1".into(),
            label: "feedback".into(),
            payload: tracechain_types::Payload::Consumer(
                tracechain_types::ConsumerRecord::Feedback(Feedback {
                    feedback_ref: "FB-1".into(),
                    code: flow::featured_unit(),
                    text: "the tin's lid was dented".into(),
                }),
            ),
        }],
    });
    // An outsider anchors a document about the tin: anyone may say something *about* a unit
    // (ADR 0044); that makes it no party to the unit's records (R-A5).
    stages.push(tracechain_workload::Stage {
        title: "an outsider anchors a document about the tin".into(),
        steps: vec![tracechain_workload::Step {
            signer: "bench-0-trader".into(),
            label: "outsider's anchor".into(),
            payload: tracechain_types::Payload::Document(
                tracechain_types::DocumentRecord::DocumentAnchor(DocumentAnchor {
                    document_hash: Hash::digest(b"an outsider's leaflet about the tin"),
                    document_type: DocumentType::Other,
                    valid_from: "2026-01-01".into(),
                    valid_until: None,
                    trace_codes: vec![flow::featured_unit()],
                }),
            ),
        }],
    });
    let f = Fixture {
        dir,
        store: b.shared(),
        now: Arc::new(AtomicU64::new(NOW_MS + 60_000)),
        builder: std::sync::Mutex::new(b),
        seqs: std::sync::Mutex::new(BTreeMap::new()),
    };
    for st in &stages {
        f.try_append(&st.steps)
            .unwrap_or_else(|e| panic!("stage {}: {e}", st.title));
    }
    f
}

impl Fixture {
    /// Sign `steps` and append them as the next block (at `NOW_MS` + 1 s per height, the
    /// times the flow's records are written for).
    pub fn append(&self, steps: &[tracechain_workload::Step]) {
        self.try_append(steps).unwrap();
    }

    /// [`Fixture::append`], saying why a block was refused.
    pub fn try_append(
        &self,
        steps: &[tracechain_workload::Step],
    ) -> Result<(), tracechain_storage::BuildError> {
        let mut b = self.builder.lock().unwrap();
        let mut seqs = self.seqs.lock().unwrap();
        let height = b.store().tip()?.height + 1;
        let txs = steps
            .iter()
            .map(|s| {
                let k = key(&s.signer);
                let seq = seqs.entry(k.public()).or_default();
                let tx = TxBody {
                    signer: k.public(),
                    sequence: *seq,
                    expiry_height: height + 100,
                    payload: s.payload.clone(),
                }
                .sign(&chain(), &k);
                *seq += 1;
                tx
            })
            .collect();
        b.append(txs, NOW_MS + height * 1000).map(|_| ())
    }
}

impl Fixture {
    pub fn router(&self) -> axum::Router {
        self.router_with(ReadConfig::default())
    }

    pub fn router_with(&self, cfg: ReadConfig) -> axum::Router {
        let now = self.now.clone();
        tracechain_api::router(Arc::new(ReadApi::new(
            self.store.clone(),
            chain(),
            cfg,
            Arc::new(move || now.load(Ordering::SeqCst)),
        )))
        .fallback(tracechain_api::not_found)
    }
}

/// An answer: status, headers, body.
pub struct Answer {
    pub status: u16,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{e}: status {} body {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

pub async fn send(router: &axum::Router, req: Request<Body>) -> Answer {
    let r: Response<Body> = router.clone().oneshot(req).await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.into_body().collect().await.unwrap().to_bytes().to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

/// A request signed by `signer` (unsigned when `None`) at `ts`.
pub fn request(
    method: &str,
    target: &str,
    body: Vec<u8>,
    signer: Option<&SecretKey>,
    ts: u64,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(target);
    if let Some(k) = signer {
        let sig = sign_read(k, &chain(), method, target, ts, &body);
        b = b
            .header("tracechain-key", k.public().to_hex())
            .header("tracechain-timestamp", ts.to_string())
            .header("tracechain-signature", hex::encode(sig.0));
    }
    b.body(Body::from(body)).unwrap()
}

pub fn code_path(code: &TraceCode) -> String {
    tracechain_contracts::trace_codes::NormalisedCode::new("code", code)
        .unwrap()
        .as_str()
        .to_string()
}

/// The Digital Link path of a unit (the GTIN padded to 14 digits).
pub fn dl_path(code: &TraceCode) -> String {
    match code {
        TraceCode::Item { gtin, serial } => format!("/01/{gtin:0>14}/21/{serial}"),
        TraceCode::Batch { gtin, batch } => format!("/01/{gtin:0>14}/10/{batch}"),
    }
}

/// The market-regulation department's recall of the flow's batch, as a step.
pub fn recall_step(reference: &str, reason: &str) -> tracechain_workload::Step {
    tracechain_workload::Step {
        signer: "market-regulation-regulator".into(),
        label: "recall".into(),
        payload: tracechain_types::Payload::Recall(tracechain_types::RecallRecord::Recall(
            Recall {
                recall_ref: reference.into(),
                batch: flow::batch(),
                reason: reason.into(),
            },
        )),
    }
}

/// A consumer's scan of the tin in the United States, outside its destinations: the tin's
/// scans become suspicious (R-S4).
pub fn suspicious_scan_step() -> tracechain_workload::Step {
    tracechain_workload::Step {
        signer: "consumer-1".into(),
        label: "scan in the United States".into(),
        payload: tracechain_types::Payload::Consumer(
            tracechain_types::ConsumerRecord::ConsumerScan(ConsumerScan {
                code: flow::featured_unit(),
                scanner_tag: Hash::ZERO,
                country: "US".into(),
                coarse_lat_e2: Some(4071),
                coarse_lon_e2: Some(-7400),
            }),
        ),
    }
}
