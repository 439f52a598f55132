//! The four information blocks of CBETC (spec 6.4, Tables 1–4): one record type per category.
//!
//! Every record names the trace unit(s) it concerns (`trace_codes`, R-X4). Basic items are
//! `Option`s checked by the contracts (R-X1: a missing or malformed basic item is rejected
//! and named); extended items are optional. Times are RFC 3339 strings (`YYYY-MM-DD` allowed
//! where the table says "date"), countries ISO 3166-1 alpha-2, currencies ISO 4217 alphabetic
//! codes, amounts integers in the currency's minor unit (≥ 0).

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use super::common::{Commitment, Place, Position, SensorRange, SensorReading, TraceCode};
use crate::hash::Hash;

// ---------------------------------------------------------------- product block (Table 1)

/// R-P1 raw / auxiliary materials, parts.
#[derive(
    Clone, Debug, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(default)]
pub struct MaterialsRecord {
    /// Trace units concerned.
    pub trace_codes: Vec<TraceCode>,
    /// Basic: main material name.
    pub material_name: Option<String>,
    /// Basic: supplier name. Business data in clear (ADR 0024): the supplying enterprise,
    /// cooperative or registered farm, part of the public origin story (R-A5). A private
    /// smallholder is named through the business that collects from it (cooperative,
    /// collection station) or its registered household-farm name, never its personal name;
    /// the person is reachable only through `supplier_contact`.
    pub supplier_name: Option<String>,
    /// Basic: supplier address: a business address or, for a smallholder, the place of
    /// origin at village / township level — never a person's home address (ADR 0024).
    pub supplier_address: Option<String>,
    /// Basic: supplier contact (personal data: commitment).
    pub supplier_contact: Option<Commitment>,
    /// Extended: quality indicators.
    pub quality_indicators: Option<String>,
    /// Extended: production or packaging date.
    pub production_date: Option<String>,
    /// Extended: shelf life / expiry date.
    pub expiry: Option<String>,
    /// Extended (lineage): the material's own trace code, when it has one.
    pub material_code: Option<TraceCode>,
}

/// R-P2 production.
#[derive(
    Clone, Debug, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(default)]
pub struct ProductionRecord {
    /// Trace units concerned.
    pub trace_codes: Vec<TraceCode>,
    /// Basic: producer (processing enterprise) name.
    pub producer_name: Option<String>,
    /// Basic: country / region (ISO 3166-1 alpha-2).
    pub country: Option<String>,
    /// Basic: production time.
    pub production_time: Option<String>,
    /// Extended: address.
    pub address: Option<String>,
    /// Extended: contact (commitment).
    pub contact: Option<Commitment>,
    /// Extended: production licence number.
    pub production_licence: Option<String>,
}

/// R-P3 product features.
#[derive(
    Clone, Debug, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(default)]
pub struct ProductFeaturesRecord {
    /// Trace units concerned.
    pub trace_codes: Vec<TraceCode>,
    /// Basic: brand.
    pub brand: Option<String>,
    /// Basic: model / specification.
    pub model: Option<String>,
    /// Basic: shelf life / expiry (RFC 3339 date or date-time, or an ISO 8601 duration such as
    /// `P18M`).
    pub shelf_life: Option<String>,
    /// Extended: certification certificates (document hashes, see R-S1).
    pub certificates: Vec<Hash>,
    /// Extended: certificate of origin (document hash).
    pub certificate_of_origin: Option<Hash>,
    /// Extended: inspection / test reports (document hashes).
    pub test_reports: Vec<Hash>,
    /// Extended: declared acceptable storage/transport range (R-S6).
    pub sensor_range: Option<SensorRange>,
}

/// R-P4 (product block) and R-T3 (trade block) product code.
#[derive(
    Clone, Debug, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(default)]
pub struct ProductCodeRecord {
    /// Trace units concerned.
    pub trace_codes: Vec<TraceCode>,
    /// Basic: commodity barcode (GTIN, check digit verified).
    pub gtin: Option<String>,
    /// Extended: batch number.
    pub batch: Option<String>,
}

// ------------------------------------------------------------------ trade block (Table 2)

/// One line of an order's transaction list (R-T1 extended item).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct OrderLine {
    /// GTIN of the goods.
    pub gtin: String,
    /// Quantity.
    pub quantity: u64,
    /// Line amount in minor units of the order's currency.
    pub amount_minor: i64,
}

/// R-T1 order (market procurement order or platform sales order).
#[derive(
    Clone, Debug, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(default)]
pub struct OrderRecord {
    /// Trace units concerned.
    pub trace_codes: Vec<TraceCode>,
    /// The order reference (used by R-Q1/R-Q2 matching; unique per signer).
    pub order_ref: Option<String>,
    /// Basic: product name.
    pub product_name: Option<String>,
    /// Basic: order time.
    pub order_time: Option<String>,
    /// Basic: trading platform.
    pub platform: Option<String>,
    /// Basic: transaction amount (minor units).
    pub amount_minor: Option<i64>,
    /// Basic: currency (ISO 4217).
    pub currency: Option<String>,
    /// Basic: shipping address (commitment).
    pub shipping_address: Option<Commitment>,
    /// Basic: consignee (commitment).
    pub consignee: Option<Commitment>,
    /// Basic: consignee contact (commitment).
    pub consignee_contact: Option<Commitment>,
    /// Extended: transaction list.
    pub lines: Vec<OrderLine>,
}

/// R-T2 cross-border payment receipt.
#[derive(
    Clone, Debug, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(default)]
pub struct PaymentReceiptRecord {
    /// Trace units concerned.
    pub trace_codes: Vec<TraceCode>,
    /// The receipt reference (R-Q1 link target).
    pub receipt_ref: Option<String>,
    /// Basic: product name.
    pub product_name: Option<String>,
    /// Basic: receipt time.
    pub receipt_time: Option<String>,
    /// Basic: receipt amount (minor units of `currency`).
    pub receipt_amount_minor: Option<i64>,
    /// Basic: FX settlement amount (minor units of `settlement_currency`, CNY when absent).
    pub settlement_amount_minor: Option<i64>,
    /// Basic: FX settlement time.
    pub settlement_time: Option<String>,
    /// Basic: currency of the receipt (ISO 4217).
    pub currency: Option<String>,
    /// Basic: payee (commitment).
    pub payee: Option<Commitment>,
    /// Extended: currency of the settlement amount (ISO 4217; default CNY).
    pub settlement_currency: Option<String>,
    /// Extended: receipt voucher (document hash).
    pub receipt_voucher: Option<Hash>,
    /// Extended: settlement voucher (document hash).
    pub settlement_voucher: Option<Hash>,
}

// -------------------------------------------------------------- logistics block (Table 3)

/// Tally operation (R-L1).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TallyOperation {
    /// 揽货.
    Collecting,
    /// 集货.
    Consolidating,
    /// 拣选.
    Picking,
    /// 加工.
    Processing,
    /// 包装.
    Packing,
    /// 分割.
    Splitting,
    /// 组配.
    Assembling,
}

/// R-L1 tally.
#[derive(
    Clone, Debug, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(default)]
pub struct TallyRecord {
    /// Trace units concerned.
    pub trace_codes: Vec<TraceCode>,
    /// Basic: security-check scan record (reference or summary).
    pub security_scan: Option<String>,
    /// Basic: loading record (reference or summary).
    pub loading_record: Option<String>,
    /// Which operation (optional detail).
    pub operation: Option<TallyOperation>,
    /// Positions (R-S5).
    pub positions: Vec<Position>,
}

/// Transport mode (R-L2).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TransportMode {
    /// Sea.
    Sea,
    /// Air.
    Air,
    /// Rail.
    Rail,
    /// Road.
    Road,
    /// Postal / express.
    Express,
    /// Several modes.
    Multimodal,
}

/// R-L2 transport.
#[derive(
    Clone, Debug, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(default)]
pub struct TransportRecord {
    /// Trace units concerned.
    pub trace_codes: Vec<TraceCode>,
    /// Basic: carrier.
    pub carrier: Option<String>,
    /// Basic: transport mode.
    pub mode: Option<TransportMode>,
    /// Basic: origin (ADR 0046: a UN/LOCODE, an enterprise site's GS1 location or a
    /// commitment to a private place).
    pub origin: Option<Place>,
    /// Extended: shipper, as a salted commitment (ADR 0024): in cross-border retail the
    /// shipper may be a private person (a consumer returning goods, R-L5, or a private
    /// seller), whose name is personal data (R-A5); the carrier (basic item) stays in clear.
    pub shipper: Option<Commitment>,
    /// Extended: waybill number.
    pub waybill: Option<String>,
    /// Extended: destination (as `origin`: a consumer parcel's destination is a commitment;
    /// `destination_country` stays in clear).
    pub destination: Option<Place>,
    /// Extended: destination country (ISO 3166-1 alpha-2).
    pub destination_country: Option<String>,
    /// Positions (R-S5).
    pub positions: Vec<Position>,
    /// Sensor series (R-S6).
    pub sensor_readings: Vec<SensorReading>,
}

/// R-L3 warehousing.
#[derive(
    Clone, Debug, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(default)]
pub struct WarehousingRecord {
    /// Trace units concerned.
    pub trace_codes: Vec<TraceCode>,
    /// Basic: warehouse name.
    pub warehouse_name: Option<String>,
    /// Basic: warehouse address (an enterprise site, public).
    pub warehouse_address: Option<String>,
    /// Basic: storage mode (e.g. ambient, chilled, frozen, bonded).
    pub storage_mode: Option<String>,
    /// Basic: inbound time.
    pub inbound_time: Option<String>,
    /// Basic: outbound time (may follow in a later record of the same stay — R-L3 decision).
    pub outbound_time: Option<String>,
    /// Warehouse GLN (optional, check digit verified).
    pub warehouse_gln: Option<String>,
    /// Warehouse country (ISO 3166-1 alpha-2, optional).
    pub country: Option<String>,
    /// Positions (R-S5).
    pub positions: Vec<Position>,
    /// Extended: temperature / humidity during storage (R-S6).
    pub sensor_readings: Vec<SensorReading>,
}

/// R-L4 delivery.
#[derive(
    Clone, Debug, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(default)]
pub struct DeliveryRecord {
    /// Trace units concerned.
    pub trace_codes: Vec<TraceCode>,
    /// Basic: logistics company name.
    pub company: Option<String>,
    /// Basic: tracking number.
    pub tracking_number: Option<String>,
    /// Extended: deliverer (a person: commitment).
    pub deliverer: Option<Commitment>,
    /// Extended: receiver (a person: commitment).
    pub receiver: Option<Commitment>,
    /// Extended: delivery order number.
    pub delivery_order: Option<String>,
    /// Extended: receiving location (address of a person: commitment).
    pub receiving_location: Option<Commitment>,
    /// Extended: delivery vehicle.
    pub vehicle: Option<String>,
    /// Extended: delivery country (ISO 3166-1 alpha-2).
    pub country: Option<String>,
    /// Positions (R-S5).
    pub positions: Vec<Position>,
}

/// Kind of delivery exception (R-L5).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionType {
    /// 运输破损.
    TransportDamage,
    /// 丢失.
    Loss,
    /// 目的国扣关.
    DetainedByDestinationCustoms,
    /// 废弃.
    Discarded,
    /// 转仓.
    WarehouseTransfer,
    /// 退件 (RMA).
    Rma,
    /// 退回.
    Returned,
    /// 逆向物流.
    ReverseLogistics,
}

/// R-L5 delivery exception.
#[derive(
    Clone, Debug, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(default)]
pub struct DeliveryExceptionRecord {
    /// Trace units concerned.
    pub trace_codes: Vec<TraceCode>,
    /// Basic: exception type.
    pub exception_type: Option<ExceptionType>,
    /// When it happened (optional).
    pub time: Option<String>,
    /// Description (optional), as a salted commitment: a consumer's account of a lost or
    /// damaged parcel may name the person and the address (R-A5, ADR 0046).
    pub description: Option<Commitment>,
}

// ---------------------------------------------------------------- customs block (Table 4)

/// One line of a customs declaration list (R-C1).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct DeclarationLine {
    /// Goods description.
    pub goods: String,
    /// GTIN when known.
    pub gtin: Option<String>,
    /// Quantity.
    pub quantity: u64,
    /// Order reference this line declares (R-Q2).
    pub order_ref: Option<String>,
}

/// Tax payment information (R-C1 extended item).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct TaxPayment {
    /// Amount in minor units.
    pub amount_minor: i64,
    /// Currency (ISO 4217).
    pub currency: String,
    /// Reference of the tax payment.
    pub reference: String,
}

/// R-C1 customs declaration.
#[derive(
    Clone, Debug, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(default)]
pub struct CustomsDeclarationRecord {
    /// Trace units concerned.
    pub trace_codes: Vec<TraceCode>,
    /// Basic: declaration list (non-empty).
    pub declaration_list: Vec<DeclarationLine>,
    /// Basic: declaration number.
    pub declaration_number: Option<String>,
    /// Basic: departure port.
    pub departure_port: Option<String>,
    /// Basic: arrival port.
    pub arrival_port: Option<String>,
    /// Basic: declaration date.
    pub declaration_date: Option<String>,
    /// Basic: release date (filled by the release status — R-C1 decision).
    pub release_date: Option<String>,
    /// Extended: tax payment information.
    pub tax_payment: Option<TaxPayment>,
}

/// Customs status (R-C2).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum CustomsStatus {
    /// Declared.
    Declared,
    /// Inspected.
    Inspected,
    /// Released.
    Released,
    /// Held.
    Held,
    /// Returned.
    Returned,
}

/// R-C2 customs status.
#[derive(
    Clone, Debug, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(default)]
pub struct CustomsStatusRecord {
    /// Trace units concerned.
    pub trace_codes: Vec<TraceCode>,
    /// The declaration this status concerns (must be recorded, R-C1).
    pub declaration_number: Option<String>,
    /// Basic: status.
    pub status: Option<CustomsStatus>,
    /// When the status took effect (RFC 3339); for `released` it is the release date.
    pub time: Option<String>,
}
