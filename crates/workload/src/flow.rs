//! The sample export flow of `make demo`: Anxi Tieguanyin oolong tea from a producer in
//! Fujian, sold through a cross-border platform to consumers in Germany, trace mode FULL.
//!
//! Every record is signed by the participant who would write it in the real process
//! (`network.json` names them): the enterprises register and market regulation approves
//! them; the producer claims its GS1 company prefix and files with the departments (CBEAC);
//! the tea batch and six item-level tins are registered under the prefix; customs and market
//! regulation anchor the certificates the product features cite; the platform records the
//! order, the payment institution the receipt and the platform links them (closed loop);
//! the logistics firm collects, packs, ships by sea from Xiamen to Hamburg; the customs broker
//! declares, the departments decide the export declaration and customs releases; the goods
//! are handed to the Hamburg overseas warehouse and delivered; two consumers scan a tin.
//!
//! Times are relative to `now_ms` (every event lies in the 45 days before it, as the
//! contracts refuse records dated after their block, R-X1), so the flow is valid whenever
//! it is loaded.

use std::collections::BTreeMap;

use tracechain_types::records::*;
use tracechain_types::{
    CbeacRecord, ClosedLoopRecord, ConsumerRecord, DocumentRecord, Hash, InfoBlockRecord,
    LineageRecord, ParticipantRecord, Payload, PublicKey, TraceUnitRecord,
};

use crate::{commitment, date, gtin13, rfc3339, uscc, Stage, Step, DAY_MS};

/// The participants the flow needs, by their name in `network.json`.
pub const PARTICIPANTS: [&str; 12] = [
    "customs-regulator",
    "tax-regulator",
    "forex-regulator",
    "market-regulation-regulator",
    "producer",
    "platform",
    "logistics",
    "payment",
    "customs-broker",
    "overseas-warehouse",
    "consumer-1",
    "consumer-2",
];

/// The producer's GS1 company prefix (GS1 China range 690–699).
pub const COMPANY_PREFIX: &str = "6971234";
/// The tea's GTIN-13 (body under [`COMPANY_PREFIX`]).
pub fn gtin() -> String {
    gtin13("697123400412")
}
/// The batch (lot) of the tea.
pub const BATCH: &str = "AX2026-0412";
/// The serials of the six tins registered at item level.
pub const SERIALS: [&str; 6] = ["T0001", "T0002", "T0003", "T0004", "T0005", "T0006"];
/// The platform's order reference.
pub const ORDER_REF: &str = "CBM-DE-2026-004512";
/// The payment institution's receipt reference.
pub const RECEIPT_REF: &str = "SZPAY-R-88123019";
/// The sea waybill.
pub const WAYBILL: &str = "XMN-HAM-2026-7731";
/// The customs declaration number (C1).
pub const DECLARATION_NUMBER: &str = "379920260000041201";
/// The CBEAC filing reference.
pub const FILING_REF: &str = "FJ-CBEAC-2026-0088";
/// The CBEAC export declaration reference.
pub const EXPORT_DECLARATION_REF: &str = "FJ-EXD-2026-0412";

/// The batch-level trace code of the tea.
pub fn batch() -> TraceCode {
    TraceCode::Batch {
        gtin: gtin(),
        batch: BATCH.into(),
    }
}

/// The item-level trace code of tin `serial`.
pub fn tin(serial: &str) -> TraceCode {
    TraceCode::Item {
        gtin: gtin(),
        serial: serial.into(),
    }
}

/// The hashes of the documents the flow anchors (stand-ins for the PDF files' SHA-256).
pub fn certificate_of_origin() -> Hash {
    Hash::digest(b"Certificate of origin (China-EU), Xiamen Customs, AX2026-0412")
}
/// See [`certificate_of_origin`].
pub fn sanitary_certificate() -> Hash {
    Hash::digest(b"Sanitary certificate, Xiamen Customs, tea batch AX2026-0412")
}
/// See [`certificate_of_origin`].
pub fn organic_certification() -> Hash {
    Hash::digest(b"Organic product certification, SAMR, Anxi Tieguanyin")
}

fn step(signer: &str, label: &str, payload: Payload) -> Step {
    Step {
        signer: signer.into(),
        label: label.into(),
        payload,
    }
}

fn stage(title: &str, steps: Vec<Step>) -> Stage {
    Stage {
        title: title.into(),
        steps,
    }
}

fn organisation(
    category: ParticipantCategory,
    node_types: Vec<NodeType>,
    legal_name: &str,
    registration_id: RegistrationId,
    country: &str,
) -> Payload {
    Payload::Participant(ParticipantRecord::RegisterParticipant(
        ParticipantRegistration {
            category,
            node_types,
            identity: Identity::Organisation {
                legal_name: legal_name.into(),
                registration_id,
            },
            country: country.into(),
            identity_document: Hash::digest(format!("business licence of {legal_name}").as_bytes()),
        },
    ))
}

fn consumer(name: &str) -> Payload {
    Payload::Participant(ParticipantRecord::RegisterParticipant(
        ParticipantRegistration {
            category: ParticipantCategory::ConsumerOrOther,
            node_types: vec![],
            identity: Identity::NaturalPerson {
                commitment: commitment(name, &format!("{name}, ID card on file")),
            },
            country: "DE".into(),
            identity_document: Hash::digest(format!("identity evidence of {name}").as_bytes()),
        },
    ))
}

fn approve(who: PublicKey) -> Payload {
    Payload::Participant(ParticipantRecord::ParticipantDecision(
        ParticipantDecision {
            participant: who,
            action: ParticipantAction::Approve,
            reason: "business licence and identity evidence checked".into(),
        },
    ))
}

fn relationship(counterparty: PublicKey, terms: &str) -> Payload {
    Payload::Participant(ParticipantRecord::TradeRelationship(TradeRelationship {
        counterparty,
        terms: Hash::digest(terms.as_bytes()),
    }))
}

fn info(r: InfoBlockRecord) -> Payload {
    Payload::InfoBlock(r)
}

fn anchor(hash: Hash, kind: DocumentType, now_ms: u64) -> Payload {
    Payload::Document(DocumentRecord::DocumentAnchor(DocumentAnchor {
        document_hash: hash,
        document_type: kind,
        valid_from: date(now_ms - 50 * DAY_MS),
        valid_until: Some(date(now_ms + 700 * DAY_MS)),
        trace_codes: vec![batch()],
    }))
}

fn position(ms: u64, lat_e7: i32, lon_e7: i32) -> Position {
    Position {
        time: rfc3339(ms),
        lat_e7,
        lon_e7,
        system: PositioningSystem::Bds,
    }
}

/// The flow's stages. `keys` maps every name of [`PARTICIPANTS`] to its public key.
///
/// # Errors
/// The first participant of [`PARTICIPANTS`] missing from `keys`.
pub fn tea_export(keys: &BTreeMap<String, PublicKey>, now_ms: u64) -> Result<Vec<Stage>, String> {
    for p in PARTICIPANTS {
        if !keys.contains_key(p) {
            return Err(format!("the flow needs a key for participant {p}"));
        }
    }
    let k = |name: &str| keys[name];
    let day = |d: u64| now_ms - d * DAY_MS;
    let at = |d: u64, h: u64| now_ms - d * DAY_MS + h * 3_600_000;
    let b = batch();
    let codes = vec![b.clone()];
    const MR: &str = "market-regulation-regulator";
    const TEA: &str = "Anxi Tieguanyin oolong tea, 250 g tin";

    let mut stages = Vec::new();
    stages.push(stage(
        "Enterprises and consumers register (R-A1, R-I4)",
        vec![
            step(
                "producer",
                "tea producer in Anxi, Fujian registers",
                organisation(
                    ParticipantCategory::TradeEntity(TradeEntityKind::Manufacturer),
                    vec![NodeType::Producer],
                    "Fujian Anxi Tieguanyin Tea Co., Ltd.",
                    RegistrationId::Uscc(uscc("91350524MA2Y8K3L1")),
                    "CN",
                ),
            ),
            step(
                "platform",
                "cross-border platform registers",
                organisation(
                    ParticipantCategory::TradeEntity(TradeEntityKind::EcommerceEnterprise),
                    vec![NodeType::TradingPlatform],
                    "Hangzhou CrossBorder Mall Co., Ltd.",
                    RegistrationId::Uscc(uscc("91330100MA27W4B3X")),
                    "CN",
                ),
            ),
            step(
                "payment",
                "cross-border payment institution registers",
                organisation(
                    ParticipantCategory::Financial,
                    vec![NodeType::CrossBorderPayment],
                    "Shenzhen CrossPay Payment Services Co., Ltd.",
                    RegistrationId::Uscc(uscc("91440300MA5F2N7Q2")),
                    "CN",
                ),
            ),
            step(
                "logistics",
                "logistics firm registers",
                organisation(
                    ParticipantCategory::Logistics,
                    vec![
                        NodeType::CollectionConsolidation,
                        NodeType::TallyPicking,
                        NodeType::InternationalTransport,
                        NodeType::OverseasClearanceDelivery,
                    ],
                    "Xiamen Silk Road Logistics Co., Ltd.",
                    RegistrationId::Uscc(uscc("91350200MA31T6H8K")),
                    "CN",
                ),
            ),
            step(
                "customs-broker",
                "customs broker registers",
                organisation(
                    ParticipantCategory::Logistics,
                    vec![NodeType::PortClearance],
                    "Xiamen Haitong Customs Brokerage Co., Ltd.",
                    RegistrationId::Uscc(uscc("91350200MA2X9D4E7")),
                    "CN",
                ),
            ),
            step(
                "overseas-warehouse",
                "overseas warehouse in Hamburg registers",
                organisation(
                    ParticipantCategory::Logistics,
                    vec![NodeType::OverseasWarehouse],
                    "Hamburg Overseas Fulfilment GmbH",
                    RegistrationId::National {
                        country: "DE".into(),
                        number: "HRB171204".into(),
                    },
                    "DE",
                ),
            ),
            step(
                "consumer-1",
                "a consumer in Berlin registers",
                consumer("consumer-1"),
            ),
            step(
                "consumer-2",
                "a second consumer in Berlin registers",
                consumer("consumer-2"),
            ),
        ],
    ));
    let members = [
        "producer",
        "platform",
        "payment",
        "logistics",
        "customs-broker",
        "overseas-warehouse",
        "consumer-1",
        "consumer-2",
    ];
    stages.push(stage(
        "Market regulation approves every participant (R-A1)",
        members
            .iter()
            .map(|m| step(MR, &format!("approve {m}"), approve(k(m))))
            .collect(),
    ));
    let framework = "Framework agreement 2026, Fujian Anxi Tieguanyin Tea Co., Ltd.";
    let mut partners = Vec::new();
    for p in ["platform", "payment", "logistics", "customs-broker"] {
        partners.push(step(
            "producer",
            &format!("producer signs the framework agreement with {p} (R-A6)"),
            relationship(k(p), framework),
        ));
        partners.push(step(
            p,
            &format!("{p} signs the same agreement (R-A6)"),
            relationship(k("producer"), framework),
        ));
    }
    partners.push(step(
        "producer",
        "producer claims its GS1 company prefix (R-I2)",
        Payload::Participant(ParticipantRecord::CompanyPrefixClaim(CompanyPrefixClaim {
            prefix: COMPANY_PREFIX.into(),
            evidence: Hash::digest(b"GS1 China membership certificate 6971234"),
        })),
    ));
    partners.push(step(
        "producer",
        "producer files with the departments (CBEAC, R-B2)",
        Payload::Cbeac(CbeacRecord::Filing(Filing {
            filing_ref: FILING_REF.into(),
            document: Hash::digest(b"CBEAC enterprise filing form, Fujian Anxi Tieguanyin Tea"),
            departments: vec![
                Agency::Customs,
                Agency::Tax,
                Agency::Forex,
                Agency::MarketRegulation,
            ],
            valid_until: date(now_ms + 365 * DAY_MS),
        })),
    ));
    stages.push(stage(
        "Framework agreements, GS1 prefix claim, CBEAC filing",
        partners,
    ));
    let mut decisions = vec![step(
        MR,
        "market regulation approves the company prefix (R-I2)",
        Payload::Participant(ParticipantRecord::CompanyPrefixDecision(
            CompanyPrefixDecision {
                holder: k("producer"),
                prefix: COMPANY_PREFIX.into(),
                action: PrefixAction::Approve,
                reason: "GS1 China membership certificate verified".into(),
            },
        )),
    )];
    for r in ["customs-regulator", "tax-regulator", "forex-regulator", MR] {
        decisions.push(step(
            r,
            &format!("{r} approves the filing (R-B2, R-B5)"),
            Payload::Cbeac(CbeacRecord::FilingDecision(FilingDecision {
                enterprise: k("producer"),
                filing_ref: FILING_REF.into(),
                verdict: Verdict::Approve,
                reason: "filing documents complete".into(),
            })),
        ));
    }
    stages.push(stage(
        "Prefix approved, each department decides the filing",
        decisions,
    ));
    stages.push(stage(
        "The tea batch is registered under the producer's prefix (R-I1–R-I3)",
        vec![step(
            "producer",
            &format!("register batch {BATCH} of GTIN {}, trace mode FULL", gtin()),
            Payload::TraceUnit(TraceUnitRecord::RegisterTraceUnit(TraceUnitRegistration {
                code: b.clone(),
                mode: TraceMode::Full,
                product_name: TEA.into(),
            })),
        )],
    ));
    stages.push(stage(
        "Tins registered at item level; certificates anchored (R-S1)",
        vec![
            step(
                "producer",
                "register six tins of the batch",
                Payload::TraceUnit(TraceUnitRecord::RegisterItemCodes(ItemCodesRegistration {
                    batch: b.clone(),
                    serials: SERIALS.iter().map(|s| s.to_string()).collect(),
                })),
            ),
            step(
                "customs-regulator",
                "customs anchors the certificate of origin",
                anchor(
                    certificate_of_origin(),
                    DocumentType::CertificateOfOrigin,
                    now_ms,
                ),
            ),
            step(
                "customs-regulator",
                "customs anchors the sanitary certificate",
                anchor(
                    sanitary_certificate(),
                    DocumentType::SanitaryCertificate,
                    now_ms,
                ),
            ),
            step(
                MR,
                "market regulation anchors the organic certification",
                anchor(organic_certification(), DocumentType::Certification, now_ms),
            ),
        ],
    ));
    stages.push(stage(
        "Raw materials, production, product features and code; order, payment (Tables 1-2)",
        vec![
            step(
                "producer",
                "raw materials: tea leaves from the Anxi cooperative (P1)",
                info(InfoBlockRecord::Materials(MaterialsRecord {
                    trace_codes: codes.clone(),
                    material_name: Some("Tieguanyin fresh tea leaves, spring harvest".into()),
                    supplier_name: Some("Anxi Xiping Tea Cooperative".into()),
                    supplier_address: Some("Xiping Town, Anxi County, Quanzhou, Fujian".into()),
                    supplier_contact: Some(commitment("supplier", "+86 595 2320 0000")),
                    quality_indicators: Some("pesticide residue test passed".into()),
                    production_date: Some(date(day(45))),
                    ..Default::default()
                })),
            ),
            step(
                "producer",
                "production: rolled, roasted and packed in Anxi (P2)",
                info(InfoBlockRecord::Production(ProductionRecord {
                    trace_codes: codes.clone(),
                    producer_name: Some("Fujian Anxi Tieguanyin Tea Co., Ltd.".into()),
                    country: Some("CN".into()),
                    production_time: Some(rfc3339(at(40, 9))),
                    address: Some("Chengxiang Town, Anxi County, Quanzhou, Fujian".into()),
                    production_licence: Some("SC11435052400123".into()),
                    ..Default::default()
                })),
            ),
            step(
                "producer",
                "product features with the anchored certificates (P3)",
                info(InfoBlockRecord::ProductFeatures(ProductFeaturesRecord {
                    trace_codes: codes.clone(),
                    brand: Some("Anxi Tieguanyin".into()),
                    model: Some("250 g tin, premium grade".into()),
                    shelf_life: Some("P24M".into()),
                    certificates: vec![organic_certification(), sanitary_certificate()],
                    certificate_of_origin: Some(certificate_of_origin()),
                    test_reports: vec![],
                    sensor_range: Some(SensorRange {
                        min_temperature_centi_c: Some(0),
                        max_temperature_centi_c: Some(3000),
                        min_humidity_bp: None,
                        max_humidity_bp: Some(7000),
                    }),
                })),
            ),
            step(
                "producer",
                "product code: GTIN and batch (P4)",
                info(InfoBlockRecord::ProductCode(ProductCodeRecord {
                    trace_codes: codes.clone(),
                    gtin: Some(gtin()),
                    batch: Some(BATCH.into()),
                })),
            ),
            step(
                "platform",
                "order from a consumer in Germany (T1)",
                info(InfoBlockRecord::Order(OrderRecord {
                    trace_codes: codes.clone(),
                    order_ref: Some(ORDER_REF.into()),
                    product_name: Some(TEA.into()),
                    order_time: Some(rfc3339(at(30, 14))),
                    platform: Some("CrossBorder Mall".into()),
                    amount_minor: Some(27_540),
                    currency: Some("EUR".into()),
                    shipping_address: Some(commitment("order", "Torstrasse 1, 10119 Berlin")),
                    consignee: Some(commitment("order", "consignee name")),
                    consignee_contact: Some(commitment("order", "+49 30 0000000")),
                    lines: vec![],
                })),
            ),
            step(
                "platform",
                "trade product code (T3)",
                info(InfoBlockRecord::TradeProductCode(ProductCodeRecord {
                    trace_codes: codes.clone(),
                    gtin: Some(gtin()),
                    batch: Some(BATCH.into()),
                })),
            ),
            step(
                "payment",
                "payment received and settled to the producer (T2)",
                info(InfoBlockRecord::PaymentReceipt(PaymentReceiptRecord {
                    trace_codes: codes.clone(),
                    receipt_ref: Some(RECEIPT_REF.into()),
                    product_name: Some(TEA.into()),
                    receipt_time: Some(rfc3339(at(30, 15))),
                    receipt_amount_minor: Some(27_540),
                    settlement_amount_minor: Some(213_400),
                    settlement_time: Some(rfc3339(at(28, 10))),
                    currency: Some("EUR".into()),
                    payee: Some(commitment("payee", "Fujian Anxi Tieguanyin Tea Co., Ltd.")),
                    settlement_currency: Some("CNY".into()),
                    ..Default::default()
                })),
            ),
            step(
                "producer",
                "producer authorises the platform to link payments to orders (R-Q1)",
                Payload::ClosedLoop(ClosedLoopRecord::LinkAuthorisation(LinkAuthorisation {
                    grantee: k("platform"),
                    scope: LinkScope::Marketplace,
                    valid_until_height: 1_000_000_000,
                    withdraw: false,
                })),
            ),
        ],
    ));
    let carton = tracechain_gs1::Sscc::from_body("06971234000000412")
        .map_err(|e| format!("SSCC: {e}"))?
        .as_str()
        .to_string();
    let tins: Vec<TraceCode> = SERIALS.iter().map(|s| tin(s)).collect();
    stages.push(stage(
        "Payment linked to the order; collection, tally and packing",
        vec![
            step(
                "platform",
                "platform links the payment to the order (R-Q1, closed loop R-Q2)",
                Payload::ClosedLoop(ClosedLoopRecord::PaymentOrderLink(PaymentOrderLink {
                    enterprise: k("producer"),
                    order_ref: ORDER_REF.into(),
                    receipt_ref: RECEIPT_REF.into(),
                })),
            ),
            step(
                "logistics",
                "collection at the Anxi consolidation point (L1)",
                info(InfoBlockRecord::Tally(TallyRecord {
                    trace_codes: codes.clone(),
                    security_scan: Some("X-ray screening passed at Anxi collection point".into()),
                    loading_record: Some("6 tins collected into carton".into()),
                    operation: Some(TallyOperation::Collecting),
                    positions: vec![position(at(27, 9), 250_608_000, 1_181_865_000)],
                })),
            ),
            step(
                "logistics",
                "tally and packing at the Xiamen warehouse (L1)",
                info(InfoBlockRecord::Tally(TallyRecord {
                    trace_codes: codes.clone(),
                    security_scan: Some("X-ray screening passed at Xiamen Haicang".into()),
                    loading_record: Some(format!(
                        "carton SSCC {carton} loaded in container MSKU7712345"
                    )),
                    operation: Some(TallyOperation::Packing),
                    positions: vec![position(at(26, 11), 244_793_000, 1_180_313_000)],
                })),
            ),
            step(
                "logistics",
                "the six tins packed into one carton (SSCC)",
                Payload::Lineage(LineageRecord::Aggregation(Aggregation {
                    sscc: carton.clone(),
                    contents: tins,
                    action: AggregationAction::Pack,
                    time: rfc3339(at(26, 12)),
                })),
            ),
        ],
    ));
    stages.push(stage(
        "Export transport by sea, Xiamen to Hamburg",
        vec![
            step(
                "logistics",
                "sea freight with positions and temperature readings (L2)",
                info(InfoBlockRecord::Transport(TransportRecord {
                    trace_codes: codes.clone(),
                    carrier: Some("COSCO Shipping Lines".into()),
                    mode: Some(TransportMode::Sea),
                    origin: Some(Place::Locode("CNXMN".into())),
                    shipper: Some(commitment(
                        "shipper",
                        "Fujian Anxi Tieguanyin Tea Co., Ltd.",
                    )),
                    waybill: Some(WAYBILL.into()),
                    destination: Some(Place::Locode("DEHAM".into())),
                    destination_country: Some("DE".into()),
                    positions: vec![
                        position(at(25, 18), 244_550_000, 1_180_720_000),
                        position(at(18, 6), 13_000_000, 1_040_000_000),
                        position(at(11, 20), 535_460_000, 99_660_000),
                    ],
                    sensor_readings: vec![
                        SensorReading {
                            time: rfc3339(at(25, 18)),
                            temperature_centi_c: Some(2150),
                            humidity_bp: Some(5500),
                        },
                        SensorReading {
                            time: rfc3339(at(18, 6)),
                            temperature_centi_c: Some(2780),
                            humidity_bp: Some(6400),
                        },
                    ],
                })),
            ),
            step(
                "logistics",
                "the carton is shipped to Germany",
                Payload::Lineage(LineageRecord::Shipment(Shipment {
                    trace_codes: vec![],
                    ssccs: vec![carton],
                    destination_country: "DE".into(),
                    reference: WAYBILL.into(),
                    time: rfc3339(at(25, 18)),
                })),
            ),
        ],
    ));
    stages.push(stage(
        "Customs declaration by the broker (C1, R-X3 gate) and CBEAC export declaration (R-B3)",
        vec![
            step(
                "customs-broker",
                "customs declaration for the batch (C1)",
                info(InfoBlockRecord::CustomsDeclaration(
                    CustomsDeclarationRecord {
                        trace_codes: codes.clone(),
                        declaration_list: vec![DeclarationLine {
                            goods: "oolong tea (HS 0902.30), 6 tins of 250 g".into(),
                            gtin: Some(gtin()),
                            quantity: 6,
                            order_ref: Some(ORDER_REF.into()),
                        }],
                        declaration_number: Some(DECLARATION_NUMBER.into()),
                        departure_port: Some("Xiamen".into()),
                        arrival_port: Some("Hamburg".into()),
                        declaration_date: Some(date(day(26))),
                        release_date: None,
                        tax_payment: None,
                    },
                )),
            ),
            step(
                "producer",
                "export declaration with the order, waybill and receipt (R-B3)",
                Payload::Cbeac(CbeacRecord::ExportDeclaration(ExportDeclaration {
                    declaration_ref: EXPORT_DECLARATION_REF.into(),
                    trace_codes: codes.clone(),
                    order_refs: vec![ORDER_REF.into()],
                    waybill_refs: vec![WAYBILL.into()],
                    receipt_refs: vec![RECEIPT_REF.into()],
                    departments: vec![Agency::Customs, Agency::Tax, Agency::Forex],
                })),
            ),
        ],
    ));
    let mut release = Vec::new();
    for r in ["customs-regulator", "tax-regulator", "forex-regulator"] {
        release.push(step(
            r,
            &format!("{r} approves the export declaration (R-B3, R-B5)"),
            Payload::Cbeac(CbeacRecord::DeclarationDecision(DeclarationDecision {
                enterprise: k("producer"),
                declaration_ref: EXPORT_DECLARATION_REF.into(),
                verdict: Verdict::Approve,
                reason: "order, waybill and receipt consistent".into(),
            })),
        ));
    }
    release.push(step(
        "customs-regulator",
        "customs releases the goods (C2)",
        info(InfoBlockRecord::CustomsStatus(CustomsStatusRecord {
            trace_codes: codes.clone(),
            declaration_number: Some(DECLARATION_NUMBER.into()),
            status: Some(CustomsStatus::Released),
            time: Some(rfc3339(at(25, 10))),
        })),
    ));
    release.push(step(
        "logistics",
        "the goods are handed over to the Hamburg overseas warehouse (custody)",
        Payload::TraceUnit(TraceUnitRecord::Handover(Handover {
            trace_codes: codes.clone(),
            to: k("overseas-warehouse"),
        })),
    ));
    stages.push(stage(
        "Departments decide the declaration, customs releases, custody to the warehouse",
        release,
    ));
    stages.push(stage(
        "Overseas warehouse and delivery in Germany",
        vec![
            step(
                "overseas-warehouse",
                "stored at the Hamburg overseas warehouse (L3)",
                info(InfoBlockRecord::Warehousing(WarehousingRecord {
                    trace_codes: codes.clone(),
                    warehouse_name: Some("Hamburg Overseas Fulfilment Centre".into()),
                    warehouse_address: Some("Altenwerder, 21129 Hamburg".into()),
                    storage_mode: Some("ambient, dry".into()),
                    inbound_time: Some(rfc3339(at(10, 8))),
                    outbound_time: Some(rfc3339(at(6, 15))),
                    country: Some("DE".into()),
                    sensor_readings: vec![SensorReading {
                        time: rfc3339(at(9, 12)),
                        temperature_centi_c: Some(1900),
                        humidity_bp: Some(4800),
                    }],
                    ..Default::default()
                })),
            ),
            step(
                "logistics",
                "last-mile delivery to the consumer (L4)",
                info(InfoBlockRecord::Delivery(DeliveryRecord {
                    trace_codes: codes.clone(),
                    company: Some("DHL Paket".into()),
                    tracking_number: Some("JJD000390012345678".into()),
                    receiver: Some(commitment("delivery", "consignee name")),
                    receiving_location: Some(commitment("delivery", "Torstrasse 1, 10119 Berlin")),
                    country: Some("DE".into()),
                    ..Default::default()
                })),
            ),
        ],
    ));
    let scan = |who: &str, lat: i16, lon: i16| {
        step(
            who,
            &format!("{who} scans tin T0001 (R-S4)"),
            Payload::Consumer(ConsumerRecord::ConsumerScan(ConsumerScan {
                code: tin("T0001"),
                scanner_tag: Hash::ZERO,
                country: "DE".into(),
                coarse_lat_e2: Some(lat),
                coarse_lon_e2: Some(lon),
            })),
        )
    };
    stages.push(stage(
        "Consumers in Germany scan the tin",
        vec![
            scan("consumer-1", 5252, 1340),
            scan("consumer-2", 5250, 1338),
        ],
    ));
    Ok(stages)
}

/// The unit whose history the demo points people to.
pub fn featured_unit() -> TraceCode {
    tin("T0001")
}
