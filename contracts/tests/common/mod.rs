//! Shared fixtures of the contract tests (parts A and B): seeded keys, a block context, a
//! state with approved participants, and a tiny driver that signs, executes and applies.
#![allow(dead_code)]

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use tracechain_contracts::registry::{self, ParticipantState};
use tracechain_contracts::{
    execute_block, execute_transaction, BlockCache, BlockContext, BlockError, BlockExecution,
    ChainParams, ContractError, MemoryState, ParentTree, State, StateView, VerifiedTx, WriteSet,
};
use tracechain_types::records::*;
use tracechain_types::{
    ChainId, Hash, InfoBlockRecord, Payload, PublicKey, SecretKey, TraceUnitRecord, Transaction,
    TxBody, Validator, ValidatorSet,
};

/// A deterministic key from a seed.
pub fn key(seed: u64) -> SecretKey {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    SecretKey::generate(&mut rng)
}

/// The test chain id.
pub fn chain() -> ChainId {
    ChainId::new("tracechain-test-1").unwrap()
}

/// Validators seeded 9000..9004.
pub fn validator_keys() -> Vec<SecretKey> {
    (9000..9004).map(key).collect()
}

/// Block time of the test chain at height 0 (2027-01-01T00:00:00Z).
pub const BLOCK_TIME_MS: u64 = 1_798_761_600_000;

/// A block context at `height` with the default parameters.
pub fn ctx(height: u64) -> BlockContext {
    let set = ValidatorSet::new(
        validator_keys()
            .iter()
            .enumerate()
            .map(|(i, k)| Validator {
                public_key: k.public(),
                name: format!("agency-{i}"),
            })
            .collect(),
    )
    .unwrap();
    BlockContext {
        chain_id: chain(),
        height,
        // 2027-01-01T00:00:00Z: after every event time of the fixtures and the shared EPCIS
        // data, which R-X1 refuses when later than the block (ADR 0029).
        timestamp_ms: BLOCK_TIME_MS + height * 1000,
        validators: set,
        params: ChainParams::default(),
    }
}

/// A registration with a valid identity for `category` / `node_types`.
pub fn registration(
    category: ParticipantCategory,
    node_types: Vec<NodeType>,
) -> ParticipantRegistration {
    ParticipantRegistration {
        category,
        node_types,
        identity: Identity::Organisation {
            legal_name: "Ningbo Example Export Co., Ltd.".into(),
            registration_id: RegistrationId::Uscc("91350100M000100Y43".into()),
        },
        country: "CN".into(),
        identity_document: Hash::digest(b"business licence"),
    }
}

/// A test world: state plus a next-sequence counter per key and a height.
#[derive(Debug)]
pub struct World {
    pub state: MemoryState,
    pub height: u64,
    seqs: std::collections::BTreeMap<PublicKey, u64>,
}

impl World {
    pub fn new() -> World {
        World {
            state: MemoryState::new(),
            height: 1,
            seqs: Default::default(),
        }
    }

    /// Seed a participant directly in `state` (genesis-style), then force its state.
    pub fn seed(
        &mut self,
        seed: u64,
        category: ParticipantCategory,
        node_types: Vec<NodeType>,
        st: ParticipantState,
    ) -> SecretKey {
        let k = key(seed);
        registry::genesis_participant(
            &mut self.state,
            k.public(),
            registration(category, node_types),
        );
        if st != ParticipantState::Approved {
            let mut p = registry::load(&self.state, &k.public()).unwrap();
            p.state = st;
            self.state.put(
                tracechain_contracts::state_keys::participant(&k.public()),
                tracechain_types::encode(&p),
            );
            if let ParticipantCategory::Regulator(a) = category {
                self.state
                    .delete(&tracechain_contracts::state_keys::regulator_in_office(
                        a,
                        &k.public(),
                    ));
            }
        }
        k
    }

    /// A signed transaction with the signer's next sequence.
    pub fn tx(&self, k: &SecretKey, payload: Payload) -> Transaction {
        let seq = self.seqs.get(&k.public()).copied().unwrap_or(0);
        TxBody {
            signer: k.public(),
            sequence: seq,
            expiry_height: self.height + 10,
            payload,
        }
        .sign(&chain(), k)
    }

    /// Execute without applying.
    pub fn try_exec(&self, k: &SecretKey, payload: Payload) -> Result<WriteSet, ContractError> {
        execute_signed(&self.tx(k, payload), &ctx(self.height), &self.state)
    }

    /// Execute and apply on success; the height advances by one either way.
    pub fn exec(&mut self, k: &SecretKey, payload: Payload) -> Result<WriteSet, ContractError> {
        let r = self.try_exec(k, payload);
        if let Ok(ws) = &r {
            self.state.apply(ws);
            *self.seqs.entry(k.public()).or_default() += 1;
        }
        self.height += 1;
        r
    }
}

/// A valid GTIN-13 (check digit computed): 690123456789 + check.
pub const GTIN: &str = "6901234567892";
/// A second valid GTIN.
pub const GTIN2: &str = "4006381333931";
/// A third valid GTIN, under [`PREFIX3`], which no fixture holds.
pub const GTIN3: &str = "5012345678900";
/// The GS1 company prefix of [`GTIN3`].
pub const PREFIX3: &str = "5012345";
/// The GS1 company prefix of [`GTIN`] (held by the cast's producer).
pub const PREFIX: &str = "6901234";
/// The GS1 company prefix of [`GTIN2`] (held by the cast's producer).
pub const PREFIX2: &str = "4006381";

/// A batch-level code.
pub fn batch(b: &str) -> TraceCode {
    TraceCode::Batch {
        gtin: GTIN.into(),
        batch: b.into(),
    }
}

/// The standard cast: one approved participant per writer role.
#[derive(Debug)]
pub struct Cast {
    pub regulator: SecretKey,
    pub producer: SecretKey,
    pub trader: SecretKey,
    pub payment: SecretKey,
    pub logistics: SecretKey,
    pub port: SecretKey,
}

impl World {
    /// Seed a two-sided trade relationship (R-A6) between `a` and `b` directly in `state`
    /// (as if both had signed the same terms).
    pub fn relate(&mut self, a: &SecretKey, b: &SecretKey) {
        let terms = Hash::digest(b"framework agreement (fixture)");
        for (x, y) in [(a, b), (b, a)] {
            self.state.put(
                tracechain_contracts::state_keys::relationship(&x.public(), &y.public()),
                tracechain_types::encode(&registry::RelationshipSide { terms, height: 0 }),
            );
        }
    }

    /// Seed the standard cast (seeds 100..106). The trader (domestic procurement, trading
    /// platform) and the payment institution have a trade relationship with the producer, so
    /// they may write trade-block records for the producer's units (ADR 0024); so has the
    /// port-clearance node, the producer's customs broker (R-C1 declarations, ADR 0040).
    /// The regulator is of the customs department.
    pub fn cast(&mut self) -> Cast {
        let cast = self.cast_unrelated();
        self.relate(&cast.producer, &cast.trader);
        self.relate(&cast.producer, &cast.payment);
        self.relate(&cast.producer, &cast.port);
        // ... and the logistics node, the producer's forwarder: a custodian of its units
        // (ADR 0049)
        self.relate(&cast.producer, &cast.logistics);
        cast
    }

    /// Seed `holder` as the approved holder of a GS1 company prefix (ADR 0042) directly in
    /// `state`, as if a regulator had approved its claim.
    pub fn hold_prefix(&mut self, holder: &SecretKey, prefix: &str) {
        use tracechain_contracts::prefixes::{ClaimState, PrefixClaimState};
        self.state.put(
            tracechain_contracts::state_keys::key("gcp/", &[prefix.as_bytes(), &holder.public().0]),
            tracechain_types::encode(&PrefixClaimState {
                evidence: Hash::digest(b"GS1 licence (fixture)"),
                state: ClaimState::Approved,
                height: 0,
                decision: None,
            }),
        );
        self.state.put(
            tracechain_contracts::state_keys::key("gch/", &[prefix.as_bytes()]),
            tracechain_types::encode(&holder.public()),
        );
    }

    /// Seed `holder` as the holder of the 7-digit company prefix of `gtin` (any GTIN form)
    /// unless a prefix covering it is held already.
    pub fn hold_gtin(&mut self, holder: &SecretKey, gtin: &str) {
        let g = format!("{gtin:0>14}");
        if tracechain_contracts::prefixes::prefix_of_gtin(&self.state, &g).is_none() {
            self.hold_prefix(holder, &g[1..8]);
        }
    }

    /// Seed an approved filing of `enterprise` valid for ever (R-B2), as if every department
    /// had approved it.
    pub fn filed(&mut self, enterprise: &SecretKey) {
        self.state.put(
            tracechain_contracts::cbeac::in_force_key(&enterprise.public()),
            tracechain_types::encode(&i64::MAX),
        );
    }

    /// Seed a delegation of `prefix` by its holder to `delegate` (contract manufacturing).
    pub fn delegate_prefix(&mut self, prefix: &str, delegate: &SecretKey) {
        self.state.put(
            tracechain_contracts::state_keys::key(
                "gcd/",
                &[prefix.as_bytes(), &delegate.public().0],
            ),
            tracechain_types::encode(&0u64),
        );
    }

    /// The standard cast without any trade relationship. The producer holds the company
    /// prefixes of [`GTIN`] and [`GTIN2`] ([`PREFIX`], [`PREFIX2`]).
    pub fn cast_unrelated(&mut self) -> Cast {
        let cast = self.cast_members();
        self.hold_prefix(&cast.producer, PREFIX);
        self.hold_prefix(&cast.producer, PREFIX2);
        cast
    }

    fn cast_members(&mut self) -> Cast {
        use ParticipantState::Approved as A;
        Cast {
            regulator: self.seed(
                100,
                ParticipantCategory::Regulator(Agency::Customs),
                vec![],
                A,
            ),
            producer: self.seed(
                101,
                ParticipantCategory::TradeEntity(TradeEntityKind::Manufacturer),
                vec![NodeType::Producer],
                A,
            ),
            trader: self.seed(
                102,
                ParticipantCategory::TradeEntity(TradeEntityKind::EcommerceEnterprise),
                vec![NodeType::DomesticProcurement, NodeType::TradingPlatform],
                A,
            ),
            payment: self.seed(
                103,
                ParticipantCategory::Financial,
                vec![NodeType::CrossBorderPayment],
                A,
            ),
            logistics: self.seed(
                104,
                ParticipantCategory::Logistics,
                vec![
                    NodeType::CollectionConsolidation,
                    NodeType::TallyPicking,
                    NodeType::InternationalTransport,
                    NodeType::OverseasWarehouse,
                    NodeType::OverseasClearanceDelivery,
                ],
                A,
            ),
            port: self.seed(
                105,
                ParticipantCategory::Logistics,
                vec![NodeType::PortClearance],
                A,
            ),
        }
    }

    /// Register a batch unit by the producer.
    pub fn unit(&mut self, cast: &Cast, code: &TraceCode, mode: TraceMode) {
        self.exec(
            &cast.producer,
            Payload::TraceUnit(TraceUnitRecord::RegisterTraceUnit(TraceUnitRegistration {
                code: code.clone(),
                mode,
                product_name: "Green tea".into(),
            })),
        )
        .expect("unit registers");
    }
}

impl Cast {
    /// The participant that writes a block kind.
    pub fn writer(&self, kind: tracechain_types::payload::PayloadKind) -> &SecretKey {
        use tracechain_types::payload::PayloadKind as K;
        match kind {
            K::Materials | K::Production | K::ProductFeatures | K::ProductCode => &self.producer,
            K::Order | K::TradeProductCode => &self.trader,
            K::PaymentReceipt => &self.payment,
            K::CustomsDeclaration => &self.port,
            // the customs department decides customs status (ADR 0040)
            K::CustomsStatus => &self.regulator,
            _ => &self.logistics,
        }
    }
}

/// A salted commitment for tests.
pub fn commit(v: &str) -> Commitment {
    Commitment::compute(&[7u8; 32], v.as_bytes())
}

/// A complete, valid record of a block category (by payload kind) for `code`; `n` makes
/// references unique.
pub fn valid_record(
    kind: tracechain_types::payload::PayloadKind,
    code: &TraceCode,
    n: u64,
) -> Payload {
    use tracechain_types::payload::PayloadKind as K;
    let tc = vec![code.clone()];
    let t = "2024-05-01T08:30:00Z".to_string();
    match kind {
        K::Materials => Payload::InfoBlock(InfoBlockRecord::Materials(MaterialsRecord {
            trace_codes: tc,
            material_name: Some("tea leaves".into()),
            supplier_name: Some("Anji Tea Cooperative".into()),
            supplier_address: Some("Anji, Zhejiang".into()),
            supplier_contact: Some(commit("+86 571 0000")),
            production_date: Some("2024-04-20".into()),
            ..Default::default()
        })),
        K::Production => Payload::InfoBlock(InfoBlockRecord::Production(ProductionRecord {
            trace_codes: tc,
            producer_name: Some("Anji Tea Factory".into()),
            country: Some("CN".into()),
            production_time: Some(t),
            ..Default::default()
        })),
        K::ProductFeatures => {
            Payload::InfoBlock(InfoBlockRecord::ProductFeatures(ProductFeaturesRecord {
                trace_codes: tc,
                brand: Some("Anji White".into()),
                model: Some("250 g tin".into()),
                shelf_life: Some("P18M".into()),
                sensor_range: Some(SensorRange {
                    min_temperature_centi_c: Some(0),
                    max_temperature_centi_c: Some(2500),
                    min_humidity_bp: None,
                    max_humidity_bp: Some(6000),
                }),
                ..Default::default()
            }))
        }
        K::ProductCode | K::TradeProductCode => {
            let r = ProductCodeRecord {
                trace_codes: tc,
                gtin: Some(code.gtin().to_string()),
                batch: None,
            };
            if kind == K::ProductCode {
                Payload::InfoBlock(InfoBlockRecord::ProductCode(r))
            } else {
                Payload::InfoBlock(InfoBlockRecord::TradeProductCode(r))
            }
        }
        K::Order => Payload::InfoBlock(InfoBlockRecord::Order(OrderRecord {
            trace_codes: tc,
            order_ref: Some(format!("ORD-{n}")),
            product_name: Some("Green tea 250 g".into()),
            order_time: Some(t),
            platform: Some("ExampleMall".into()),
            amount_minor: Some(129_900),
            currency: Some("USD".into()),
            shipping_address: Some(commit("1 Main St")),
            consignee: Some(commit("J. Doe")),
            consignee_contact: Some(commit("+1 555 0100")),
            lines: vec![],
        })),
        K::PaymentReceipt => {
            Payload::InfoBlock(InfoBlockRecord::PaymentReceipt(PaymentReceiptRecord {
                trace_codes: tc,
                receipt_ref: Some(format!("RCP-{n}")),
                product_name: Some("Green tea 250 g".into()),
                receipt_time: Some(t),
                receipt_amount_minor: Some(129_900),
                settlement_amount_minor: Some(930_000),
                settlement_time: Some("2024-05-02T08:30:00+08:00".into()),
                currency: Some("USD".into()),
                payee: Some(commit("Ningbo Example Export")),
                ..Default::default()
            }))
        }
        K::Tally => Payload::InfoBlock(InfoBlockRecord::Tally(TallyRecord {
            trace_codes: tc,
            security_scan: Some("X-ray scan 2024-05-03 ok".into()),
            loading_record: Some("container MSKU1234565 loaded".into()),
            operation: Some(TallyOperation::Packing),
            positions: vec![],
        })),
        K::Transport => Payload::InfoBlock(InfoBlockRecord::Transport(TransportRecord {
            trace_codes: tc,
            carrier: Some("Example Shipping".into()),
            mode: Some(TransportMode::Sea),
            origin: Some(Place::Locode("CNNGB".into())),
            positions: vec![Position {
                time: t.clone(),
                lat_e7: 298_683_000,
                lon_e7: 1_215_440_000,
                system: PositioningSystem::Bds,
            }],
            sensor_readings: vec![SensorReading {
                time: t,
                temperature_centi_c: Some(1800),
                humidity_bp: Some(5000),
            }],
            ..Default::default()
        })),
        K::Warehousing => Payload::InfoBlock(InfoBlockRecord::Warehousing(WarehousingRecord {
            trace_codes: tc,
            warehouse_name: Some("Rotterdam Overseas Warehouse".into()),
            warehouse_address: Some("Maasvlakte, Rotterdam".into()),
            storage_mode: Some("ambient".into()),
            inbound_time: Some("2024-06-01T10:00:00Z".into()),
            outbound_time: Some("2024-06-03T10:00:00Z".into()),
            ..Default::default()
        })),
        K::Delivery => Payload::InfoBlock(InfoBlockRecord::Delivery(DeliveryRecord {
            trace_codes: tc,
            company: Some("EuroParcel".into()),
            tracking_number: Some(format!("EP{n:010}")),
            ..Default::default()
        })),
        K::DeliveryException => Payload::InfoBlock(InfoBlockRecord::DeliveryException(
            DeliveryExceptionRecord {
                trace_codes: tc,
                exception_type: Some(ExceptionType::TransportDamage),
                ..Default::default()
            },
        )),
        K::CustomsDeclaration => Payload::InfoBlock(InfoBlockRecord::CustomsDeclaration(
            CustomsDeclarationRecord {
                trace_codes: tc,
                declaration_list: vec![DeclarationLine {
                    goods: "green tea".into(),
                    gtin: Some(code.gtin().to_string()),
                    quantity: 100,
                    order_ref: Some(format!("ORD-{n}")),
                }],
                declaration_number: Some(format!("3101202400000{n:05}")),
                departure_port: Some("Ningbo".into()),
                arrival_port: Some("Rotterdam".into()),
                declaration_date: Some("2024-05-04".into()),
                release_date: None,
                tax_payment: None,
            },
        )),
        K::CustomsStatus => {
            Payload::InfoBlock(InfoBlockRecord::CustomsStatus(CustomsStatusRecord {
                trace_codes: tc,
                declaration_number: Some(format!("3101202400000{n:05}")),
                status: Some(CustomsStatus::Released),
                time: Some("2024-05-05T09:00:00+08:00".into()),
            }))
        }
        other => panic!("{other:?} is not a block record"),
    }
}

/// The block-record kinds in table order (P1 … C2).
pub const BLOCK_KINDS: [tracechain_types::payload::PayloadKind; 14] = {
    use tracechain_types::payload::PayloadKind as K;
    [
        K::Materials,
        K::Production,
        K::ProductFeatures,
        K::ProductCode,
        K::Order,
        K::PaymentReceipt,
        K::TradeProductCode,
        K::Tally,
        K::Transport,
        K::Warehousing,
        K::Delivery,
        K::DeliveryException,
        K::CustomsDeclaration,
        K::CustomsStatus,
    ]
};

/// Verify a signed transaction for the test chain, as the node does at admission.
pub fn verified(tx: &Transaction) -> VerifiedTx {
    VerifiedTx::verify(tx.clone(), &chain(), &tracechain_types::Ed25519)
        .expect("the signature verifies")
}

/// Verify the transactions of a block.
pub fn verified_all(txs: &[Transaction]) -> Vec<VerifiedTx> {
    txs.iter().map(verified).collect()
}

/// One signed transaction as the first of a block: verify it, then execute it
/// ([`execute_transaction`] with a new block cache).
pub fn execute_signed(
    tx: &Transaction,
    ctx: &BlockContext,
    state: &dyn StateView,
) -> Result<WriteSet, ContractError> {
    execute_transaction(&verified(tx), ctx, state, &mut BlockCache::new())
}

/// A block of signed transactions: verify them, then [`execute_block`].
pub fn execute_block_signed(
    txs: &[Transaction],
    ctx: &BlockContext,
    parent: ParentTree<'_>,
    state: &dyn StateView,
) -> Result<BlockExecution, BlockError> {
    execute_block(&verified_all(txs), ctx, parent, state)
}

impl World {
    /// `count` transport records (R-L2) of `code` by `writer`, each the valid one with its own
    /// waybill (`{prefix}-{i}`), shaped by `edit(i, record)` before it is written.
    pub fn transports(
        &mut self,
        writer: &SecretKey,
        code: &TraceCode,
        prefix: &str,
        count: usize,
        mut edit: impl FnMut(usize, &mut TransportRecord),
    ) {
        let base = match valid_record(tracechain_types::PayloadKind::Transport, code, 1) {
            Payload::InfoBlock(InfoBlockRecord::Transport(r)) => r,
            other => panic!("not a transport: {other:?}"),
        };
        for i in 0..count {
            let mut t = base.clone();
            t.waybill = Some(format!("{prefix}-{i}"));
            edit(i, &mut t);
            self.exec(writer, Payload::InfoBlock(InfoBlockRecord::Transport(t)))
                .unwrap_or_else(|e| panic!("transport {i}: {e}"));
        }
    }
}
