//! The load generator's record mix.
//!
//! Per product batch, the mix of the contracts' execution benchmark (trace mode TRADER,
//! 18 records): batch registration, one item code, product features, production, a
//! transformation from the cast's material batch, a document anchor; the trade product code
//! and the order; the payment receipt; tally, transport, warehousing and delivery; the
//! customs declaration through the R-X3 gate; packing the item into an SSCC, shipping the
//! SSCC, and two consumer scans of the item.
//!
//! The signers form *casts*: each cast is a producer with its own GS1 company prefix, its
//! trading platform, payment institution, logistics firm, customs broker (all with R-A6
//! framework agreements with the producer) and a consumer, so a run with many casts has many
//! independent signers and no single sequence limits the rate. [`setup`] brings the casts
//! onto a chain that has only its genesis regulators, through ordinary transactions.
//!
//! A batch's records depend on each other (an order names a registered unit; a customs
//! declaration needs the product and trade records present; a shipment needs the packed
//! SSCC), so [`unit`] returns them in [`PHASES`] phases: every record of a phase must be
//! committed before the next phase's are submitted. A load generator sends a batch's phases
//! some seconds apart and many batches at once, so the phases overlap across batches.

use std::collections::BTreeMap;

use tracechain_types::records::*;
use tracechain_types::{
    ConsumerRecord, DocumentRecord, Hash, InfoBlockRecord, LineageRecord, ParticipantRecord,
    Payload, PublicKey, SecretKey, TraceUnitRecord,
};

use crate::{commitment, gtin13, uscc, Stage, Step};

/// The roles of a cast, in the order of [`cast_names`].
pub const ROLES: [&str; 6] = [
    "producer",
    "trader",
    "payment",
    "logistics",
    "port",
    "consumer",
];

/// How many phases a batch's records come in.
pub const PHASES: usize = 4;

/// Records per batch.
pub const RECORDS_PER_UNIT: usize = 18;

/// The participant names of cast `c`, in [`ROLES`] order (`bench-{c}-producer`, …).
pub fn cast_names(c: usize) -> [String; 6] {
    ROLES.map(|r| format!("bench-{c}-{r}"))
}

/// The deterministic key of a cast member (from `seed`, the cast and the role), so that a
/// load run can find the casts a previous run set up on the same chain.
pub fn cast_key(seed: u64, c: usize, role: usize) -> SecretKey {
    let h = Hash::tagged(
        b"tracechain/bench-key/v1",
        &[
            &seed.to_be_bytes(),
            &(c as u64).to_be_bytes(),
            &(role as u64).to_be_bytes(),
        ],
    );
    SecretKey::from_seed(h.0)
}

/// The 7-digit GS1 company prefix of cast `c` (< 100 000 casts).
pub fn prefix(c: usize) -> String {
    format!("69{c:05}")
}

/// The product GTIN of cast `c`.
pub fn product_gtin(c: usize) -> String {
    gtin13(&format!("{}00002", prefix(c)))
}

/// The raw-material batch of cast `c` (its transformations' input).
pub fn material(c: usize) -> TraceCode {
    TraceCode::Batch {
        gtin: gtin13(&format!("{}00001", prefix(c))),
        batch: "MAT-1".into(),
    }
}

fn register(c: usize, role: usize) -> Payload {
    let (category, node_types) = match ROLES[role] {
        "producer" => (
            ParticipantCategory::TradeEntity(TradeEntityKind::Manufacturer),
            vec![NodeType::Producer],
        ),
        "trader" => (
            ParticipantCategory::TradeEntity(TradeEntityKind::EcommerceEnterprise),
            vec![NodeType::DomesticProcurement, NodeType::TradingPlatform],
        ),
        "payment" => (
            ParticipantCategory::Financial,
            vec![NodeType::CrossBorderPayment],
        ),
        "logistics" => (
            ParticipantCategory::Logistics,
            vec![
                NodeType::CollectionConsolidation,
                NodeType::TallyPicking,
                NodeType::InternationalTransport,
                NodeType::OverseasWarehouse,
                NodeType::OverseasClearanceDelivery,
            ],
        ),
        "port" => (
            ParticipantCategory::Logistics,
            vec![NodeType::PortClearance],
        ),
        _ => (ParticipantCategory::ConsumerOrOther, vec![]),
    };
    let identity = if node_types.is_empty() {
        Identity::NaturalPerson {
            commitment: commitment("bench-consumer", &format!("consumer {c}")),
        }
    } else {
        Identity::Organisation {
            legal_name: format!("Bench {} {c} Co., Ltd.", ROLES[role]),
            registration_id: RegistrationId::Uscc(uscc(&format!("91350100{:09}", c * 10 + role))),
        }
    };
    Payload::Participant(ParticipantRecord::RegisterParticipant(
        ParticipantRegistration {
            category,
            node_types,
            identity,
            country: "CN".into(),
            identity_document: Hash::digest(format!("licence {c} {role}").as_bytes()),
        },
    ))
}

/// The stages that bring `casts` casts onto a chain whose regulators are `regulators`
/// (names, each an approved regulator in `keys`): registrations, approvals (spread over the
/// regulators), framework agreements, prefix claims and decisions, the material batches.
/// `keys` maps every cast member's name ([`cast_names`]) and the regulators to public keys.
///
/// # Errors
/// A name missing from `keys`, or no regulator.
pub fn setup(
    keys: &BTreeMap<String, PublicKey>,
    casts: usize,
    regulators: &[String],
) -> Result<Vec<Stage>, String> {
    if regulators.is_empty() {
        return Err("the setup needs at least one regulator".into());
    }
    let k = |name: &str| {
        keys.get(name)
            .copied()
            .ok_or_else(|| format!("no key for {name}"))
    };
    let mut register_steps = Vec::new();
    let mut approvals = Vec::new();
    let mut agreements = Vec::new();
    let mut decisions = Vec::new();
    let mut materials = Vec::new();
    let mut turn = 0usize;
    let mut regulator = || {
        turn += 1;
        regulators[turn % regulators.len()].clone()
    };
    for c in 0..casts {
        let names = cast_names(c);
        for (role, name) in names.iter().enumerate() {
            register_steps.push(Step {
                signer: name.clone(),
                label: format!("{name} registers"),
                payload: register(c, role),
            });
            approvals.push(Step {
                signer: regulator(),
                label: format!("approve {name}"),
                payload: Payload::Participant(ParticipantRecord::ParticipantDecision(
                    ParticipantDecision {
                        participant: k(name)?,
                        action: ParticipantAction::Approve,
                        reason: "licence checked".into(),
                    },
                )),
            });
        }
        let producer = &names[0];
        let terms = Hash::digest(format!("framework agreement of cast {c}").as_bytes());
        for partner in &names[1..5] {
            for (a, b) in [(producer, partner), (partner, producer)] {
                agreements.push(Step {
                    signer: a.clone(),
                    label: format!("{a} agrees with {b}"),
                    payload: Payload::Participant(ParticipantRecord::TradeRelationship(
                        TradeRelationship {
                            counterparty: k(b)?,
                            terms,
                        },
                    )),
                });
            }
        }
        agreements.push(Step {
            signer: producer.clone(),
            label: format!("{producer} claims prefix {}", prefix(c)),
            payload: Payload::Participant(ParticipantRecord::CompanyPrefixClaim(
                CompanyPrefixClaim {
                    prefix: prefix(c),
                    evidence: Hash::digest(format!("GS1 licence {c}").as_bytes()),
                },
            )),
        });
        decisions.push(Step {
            signer: regulator(),
            label: format!("approve prefix {}", prefix(c)),
            payload: Payload::Participant(ParticipantRecord::CompanyPrefixDecision(
                CompanyPrefixDecision {
                    holder: k(producer)?,
                    prefix: prefix(c),
                    action: PrefixAction::Approve,
                    reason: "licence verified".into(),
                },
            )),
        });
        materials.push(Step {
            signer: producer.clone(),
            label: format!("{producer} registers its material batch"),
            payload: Payload::TraceUnit(TraceUnitRecord::RegisterTraceUnit(
                TraceUnitRegistration {
                    code: material(c),
                    mode: TraceMode::Trader,
                    product_name: "Tea leaves".into(),
                },
            )),
        });
    }
    Ok(vec![
        Stage {
            title: "casts register".into(),
            steps: register_steps,
        },
        Stage {
            title: "regulators approve the casts".into(),
            steps: approvals,
        },
        Stage {
            title: "framework agreements and prefix claims".into(),
            steps: agreements,
        },
        Stage {
            title: "prefix decisions".into(),
            steps: decisions,
        },
        Stage {
            title: "material batches".into(),
            steps: materials,
        },
    ])
}

const T: &str = "2024-05-01T08:30:00Z";

fn step(signer: &str, payload: Payload) -> Step {
    Step {
        signer: signer.into(),
        label: format!("{:?}", payload.kind()),
        payload,
    }
}

/// The [`RECORDS_PER_UNIT`] records of batch `n` of cast `c`, in [`PHASES`] phases.
pub fn unit(c: usize, n: u64) -> [Vec<Step>; PHASES] {
    let [producer, trader, payment, logistics, port, consumer] = cast_names(c);
    let code = TraceCode::Batch {
        gtin: product_gtin(c),
        batch: format!("B{n}"),
    };
    let item = TraceCode::Item {
        gtin: product_gtin(c),
        serial: format!("S{n}"),
    };
    let tc = vec![code.clone()];
    let info = Payload::InfoBlock;
    let sscc = tracechain_gs1::Sscc::from_body(&format!("0{}{:09}", prefix(c), n % 1_000_000_000))
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    let decl = format!("{:04}{n:014}", c % 10_000);
    let phase0 = vec![step(
        &producer,
        Payload::TraceUnit(TraceUnitRecord::RegisterTraceUnit(TraceUnitRegistration {
            code: code.clone(),
            mode: TraceMode::Trader,
            product_name: "Green tea 250 g".into(),
        })),
    )];
    let phase1 = vec![
        step(
            &producer,
            Payload::TraceUnit(TraceUnitRecord::RegisterItemCodes(ItemCodesRegistration {
                batch: code.clone(),
                serials: vec![format!("S{n}")],
            })),
        ),
        step(
            &producer,
            info(InfoBlockRecord::ProductFeatures(ProductFeaturesRecord {
                trace_codes: tc.clone(),
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
            })),
        ),
        step(
            &producer,
            info(InfoBlockRecord::Production(ProductionRecord {
                trace_codes: tc.clone(),
                producer_name: Some("Anji Tea Factory".into()),
                country: Some("CN".into()),
                production_time: Some(T.into()),
                ..Default::default()
            })),
        ),
        step(
            &producer,
            Payload::Lineage(LineageRecord::Transformation(Transformation {
                inputs: vec![material(c)],
                outputs: tc.clone(),
                time: T.into(),
            })),
        ),
        step(
            &producer,
            Payload::Document(DocumentRecord::DocumentAnchor(DocumentAnchor {
                document_hash: Hash::digest(format!("certificate {c} {n}").as_bytes()),
                document_type: DocumentType::SanitaryCertificate,
                valid_from: "2024-05-01".into(),
                valid_until: Some("2025-05-01".into()),
                trace_codes: tc.clone(),
            })),
        ),
        step(
            &trader,
            info(InfoBlockRecord::TradeProductCode(ProductCodeRecord {
                trace_codes: tc.clone(),
                gtin: Some(product_gtin(c)),
                batch: None,
            })),
        ),
        step(
            &trader,
            info(InfoBlockRecord::Order(OrderRecord {
                trace_codes: tc.clone(),
                order_ref: Some(format!("ORD-{n}")),
                product_name: Some("Green tea 250 g".into()),
                order_time: Some(T.into()),
                platform: Some("ExampleMall".into()),
                amount_minor: Some(129_900),
                currency: Some("USD".into()),
                shipping_address: Some(commitment("bench", "1 Main St")),
                consignee: Some(commitment("bench", "J. Doe")),
                consignee_contact: Some(commitment("bench", "+1 555 0100")),
                lines: vec![],
            })),
        ),
        step(
            &payment,
            info(InfoBlockRecord::PaymentReceipt(PaymentReceiptRecord {
                trace_codes: tc.clone(),
                receipt_ref: Some(format!("RCP-{n}")),
                product_name: Some("Green tea 250 g".into()),
                receipt_time: Some(T.into()),
                receipt_amount_minor: Some(129_900),
                settlement_amount_minor: Some(930_000),
                settlement_time: Some("2024-05-02T08:30:00+08:00".into()),
                currency: Some("USD".into()),
                payee: Some(commitment("bench", "Example Export")),
                ..Default::default()
            })),
        ),
        step(
            &logistics,
            info(InfoBlockRecord::Tally(TallyRecord {
                trace_codes: tc.clone(),
                security_scan: Some("X-ray scan ok".into()),
                loading_record: Some("container MSKU1234565 loaded".into()),
                operation: Some(TallyOperation::Packing),
                positions: vec![],
            })),
        ),
        step(
            &logistics,
            info(InfoBlockRecord::Transport(TransportRecord {
                trace_codes: tc.clone(),
                carrier: Some("Example Shipping".into()),
                mode: Some(TransportMode::Sea),
                origin: Some(Place::Locode("CNNGB".into())),
                positions: vec![Position {
                    time: T.into(),
                    lat_e7: 298_683_000,
                    lon_e7: 1_215_440_000,
                    system: PositioningSystem::Bds,
                }],
                sensor_readings: vec![SensorReading {
                    time: T.into(),
                    temperature_centi_c: Some(1800),
                    humidity_bp: Some(5000),
                }],
                ..Default::default()
            })),
        ),
        step(
            &logistics,
            info(InfoBlockRecord::Warehousing(WarehousingRecord {
                trace_codes: tc.clone(),
                warehouse_name: Some("Rotterdam Overseas Warehouse".into()),
                warehouse_address: Some("Maasvlakte, Rotterdam".into()),
                storage_mode: Some("ambient".into()),
                inbound_time: Some("2024-06-01T10:00:00Z".into()),
                outbound_time: Some("2024-06-03T10:00:00Z".into()),
                ..Default::default()
            })),
        ),
        step(
            &logistics,
            info(InfoBlockRecord::Delivery(DeliveryRecord {
                trace_codes: tc.clone(),
                company: Some("EuroParcel".into()),
                tracking_number: Some(format!("EP{c}-{n:010}")),
                ..Default::default()
            })),
        ),
    ];
    let phase2 = vec![
        step(
            &port,
            info(InfoBlockRecord::CustomsDeclaration(
                CustomsDeclarationRecord {
                    trace_codes: tc,
                    declaration_list: vec![DeclarationLine {
                        goods: "green tea".into(),
                        gtin: Some(product_gtin(c)),
                        quantity: 100,
                        order_ref: Some(format!("ORD-{n}")),
                    }],
                    declaration_number: Some(decl),
                    departure_port: Some("Ningbo".into()),
                    arrival_port: Some("Rotterdam".into()),
                    declaration_date: Some("2024-05-04".into()),
                    release_date: None,
                    tax_payment: None,
                },
            )),
        ),
        step(
            &logistics,
            Payload::Lineage(LineageRecord::Aggregation(Aggregation {
                sscc: sscc.clone(),
                contents: vec![item.clone()],
                action: AggregationAction::Pack,
                time: T.into(),
            })),
        ),
    ];
    let scan = || {
        step(
            &consumer,
            Payload::Consumer(ConsumerRecord::ConsumerScan(ConsumerScan {
                code: item.clone(),
                scanner_tag: Hash::ZERO,
                country: "NL".into(),
                coarse_lat_e2: Some(5237),
                coarse_lon_e2: Some(490),
            })),
        )
    };
    let phase3 = vec![
        step(
            &logistics,
            Payload::Lineage(LineageRecord::Shipment(Shipment {
                trace_codes: vec![],
                ssccs: vec![sscc],
                destination_country: "NL".into(),
                reference: format!("WB{n}"),
                time: T.into(),
            })),
        ),
        scan(),
        scan(),
    ];
    [phase0, phase1, phase2, phase3]
}
