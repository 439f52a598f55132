//! The information categories of Tables 1–4, their M/O requirement per trace mode, the
//! completeness report (R-X2) and the customs gate (R-X3).

use std::collections::BTreeSet;
use tracechain_types::InfoBlockRecord;

use serde::Serialize;
use tracechain_types::records::{TraceCode, TraceMode};

use crate::index_tags::IndexTag;
use crate::rules::Rule;
use crate::state::StateView;
use crate::state_keys;
use crate::trace::{self, TraceUnit};
use crate::trace_codes::NormalisedCode;

/// Most records counted per category in a report (the count saturates there).
pub const MAX_COUNTED_RECORDS: usize = 1000;

pub use tracechain_types::{Category, InfoBlock};

/// Whether a category must exist for a unit in a mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// 必备.
    Mandatory,
    /// 可选.
    Optional,
}

/// What the rules attach to a category ([`Category`] is the kind of an information-block
/// record, defined with the records): its rule id and its M/O requirement per trace mode.
pub trait CategoryRules {
    /// The rule id (`R-P1` …).
    fn rule(self) -> Rule;
    /// The M/O column of Tables 1–4 for a mode.
    fn requirement(self, mode: TraceMode) -> Requirement;
}

impl CategoryRules for Category {
    fn rule(self) -> Rule {
        match self {
            Category::P1 => Rule::RP1,
            Category::P2 => Rule::RP2,
            Category::P3 => Rule::RP3,
            Category::P4 => Rule::RP4,
            Category::T1 => Rule::RT1,
            Category::T2 => Rule::RT2,
            Category::T3 => Rule::RT3,
            Category::L1 => Rule::RL1,
            Category::L2 => Rule::RL2,
            Category::L3 => Rule::RL3,
            Category::L4 => Rule::RL4,
            Category::L5 => Rule::RL5,
            Category::C1 => Rule::RC1,
            Category::C2 => Rule::RC2,
        }
    }

    fn requirement(self, mode: TraceMode) -> Requirement {
        use Requirement::{Mandatory as M, Optional as O};
        use TraceMode::{Full, Manufacturer, Trader};
        match (self, mode) {
            (Category::P1 | Category::P4, _) => O,
            (Category::P2, Full | Manufacturer) => M,
            (Category::P2, Trader) => O,
            (Category::P3, _) => M,
            (Category::T1, Full | Manufacturer) => M,
            (Category::T1, Trader) => O,
            (Category::T2, Full) => M,
            (Category::T2, Manufacturer | Trader) => O,
            (Category::T3, _) => M,
            (Category::L1 | Category::L2 | Category::L3 | Category::L4 | Category::L5, _) => M,
            (Category::C1 | Category::C2, _) => M,
        }
    }
}

/// Status of one category in a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// At least one record.
    Present,
    /// Mandatory in the unit's mode and absent: the unit is incomplete.
    Missing,
    /// Optional and absent.
    Absent,
    /// Optional and absent, but reported (R-P1 in FULL mode — decision in the rules).
    Warning,
    /// Mandatory only when it happens (R-L5 decision): no exception recorded, complete.
    NoneRecorded,
    /// Records present, but a basic item that may follow in a later record has not followed
    /// yet (R-L3: a warehouse stay without its outbound time); `missing_items` names it. Not
    /// complete when the category is mandatory.
    Partial,
}

/// One line of a completeness report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CategoryLine {
    /// The category.
    pub category: Category,
    /// Its block.
    pub block: InfoBlock,
    /// Its rule id.
    pub rule: Rule,
    /// M/O in the unit's mode.
    pub requirement: Requirement,
    /// Records found (for an item: its own plus its batch's), saturating at
    /// [`MAX_COUNTED_RECORDS`].
    pub records: usize,
    /// The judgement.
    pub status: Status,
    /// Basic items still missing across the records ([`Status::Partial`]), e.g.
    /// `outbound_time (warehouse "Rotterdam DC")`.
    pub missing_items: Vec<String>,
}

/// The completeness report of a trace unit (R-X2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CompletenessReport {
    /// The unit's code (normalised element string).
    pub code: String,
    /// Its mode.
    pub mode: TraceMode,
    /// One line per category in table order.
    pub lines: Vec<CategoryLine>,
    /// Whether no mandatory category is missing.
    pub complete: bool,
}

impl CompletenessReport {
    /// The categories with status `Missing`.
    pub fn missing(&self) -> Vec<Category> {
        self.lines
            .iter()
            .filter(|l| l.status == Status::Missing)
            .map(|l| l.category)
            .collect()
    }

    /// The categories with status `Warning`.
    pub fn warnings(&self) -> Vec<Category> {
        self.lines
            .iter()
            .filter(|l| l.status == Status::Warning)
            .map(|l| l.category)
            .collect()
    }
}

fn count(state: &dyn StateView, codes: &[NormalisedCode], cat: Category) -> usize {
    let mut n = 0;
    for c in codes {
        n += state
            .scan(
                &state_keys::unit_records_of(c, IndexTag::Info(cat)),
                None,
                MAX_COUNTED_RECORDS,
            )
            .len();
    }
    n.min(MAX_COUNTED_RECORDS)
}

/// The codes whose records count for `unit`: itself and, for an item under a batch, the batch.
fn counted_codes(code: NormalisedCode, unit: &TraceUnit) -> Vec<NormalisedCode> {
    let mut v = vec![code];
    if let Some(b) = unit
        .batch
        .as_ref()
        .and_then(|b| NormalisedCode::new("batch", b).ok())
    {
        v.push(b);
    }
    v
}

/// The report of a registered unit.
pub fn report_for(
    state: &dyn StateView,
    code: &NormalisedCode,
    unit: &TraceUnit,
) -> CompletenessReport {
    let codes = counted_codes(code.clone(), unit);
    let lines: Vec<CategoryLine> = Category::ALL
        .iter()
        .map(|&category| {
            let requirement = category.requirement(unit.mode);
            let records = count(state, &codes, category);
            let missing_items = if records > 0 && category == Category::L3 {
                open_stays(state, &codes)
            } else {
                Vec::new()
            };
            let status = match (records > 0, requirement, category, unit.mode) {
                (true, _, _, _) if !missing_items.is_empty() => Status::Partial,
                (true, _, _, _) => Status::Present,
                (false, _, Category::P1, TraceMode::Full) => Status::Warning,
                (false, Requirement::Mandatory, Category::L5, _) => Status::NoneRecorded,
                (false, Requirement::Mandatory, _, _) => Status::Missing,
                (false, Requirement::Optional, _, _) => Status::Absent,
            };
            CategoryLine {
                category,
                block: category.block(),
                rule: category.rule(),
                requirement,
                records,
                status,
                missing_items,
            }
        })
        .collect();
    let complete = lines.iter().all(|l| {
        l.status != Status::Missing
            && !(l.status == Status::Partial && l.requirement == Requirement::Mandatory)
    });
    CompletenessReport {
        code: code.as_str().to_string(),
        mode: unit.mode,
        lines,
        complete,
    }
}

/// Most warehousing records one completeness report reads to find open stays.
pub const MAX_STAY_RECORDS: usize = 100_000;

/// R-L3: the warehouses (by name) where the unit has an inbound time but no record of the
/// stay carries its outbound time yet (the outbound time is a basic item; it may follow in a
/// later record of the same stay, ADR 0047). Reads every warehousing record of the codes, page
/// by page, up to [`MAX_STAY_RECORDS`]; past that it says so (a stay closed by a record it did
/// not read would otherwise show open, or the other way round).
fn open_stays(state: &dyn StateView, codes: &[NormalisedCode]) -> Vec<String> {
    let mut inbound: BTreeSet<String> = BTreeSet::new();
    let mut outbound: BTreeSet<String> = BTreeSet::new();
    let mut budget = MAX_STAY_RECORDS;
    let mut all_read = true;
    for c in codes {
        all_read &=
            crate::query::for_each_record_id(state, c, IndexTag::Info(Category::L3), |id| {
                if budget == 0 {
                    return false;
                }
                budget -= 1;
                if let Some(env) = crate::query::envelope(state, &id) {
                    if let Some(InfoBlockRecord::Warehousing(w)) = env.info_block() {
                        let name = w.warehouse_name.clone().unwrap_or_default();
                        if w.inbound_time.is_some() {
                            inbound.insert(name.clone());
                        }
                        if w.outbound_time.is_some() {
                            outbound.insert(name);
                        }
                    }
                }
                true
            });
    }
    let mut open: Vec<String> = inbound
        .difference(&outbound)
        .map(|w| format!("outbound_time (warehouse {w:?})"))
        .collect();
    if !all_read {
        open.push(format!(
            "not judged: more than {MAX_STAY_RECORDS} warehousing records"
        ));
    }
    open
}

/// The completeness report of a trace code (R-X2); `None` when it is malformed or not
/// registered.
pub fn report(state: &dyn StateView, code: &TraceCode) -> Option<CompletenessReport> {
    let n = NormalisedCode::new("code", code).ok()?;
    let unit = trace::load(state, &n)?;
    Some(report_for(state, &n, &unit))
}

/// The customs gate (R-X3): the mandatory product- and trade-block categories missing for
/// the unit's mode (empty = the declaration may proceed). The same judgement as the
/// `Missing` lines of [`report_for`] for those blocks, but it only asks whether one index
/// entry exists per mandatory category (it runs inside every customs declaration).
pub fn customs_gate_missing(
    state: &dyn StateView,
    code: &NormalisedCode,
    unit: &TraceUnit,
) -> BTreeSet<Category> {
    let codes = counted_codes(code.clone(), unit);
    Category::ALL
        .iter()
        .copied()
        .filter(|c| matches!(c.block(), InfoBlock::Product | InfoBlock::Trade))
        .filter(|c| c.requirement(unit.mode) == Requirement::Mandatory)
        .filter(|c| {
            !codes.iter().any(|n| {
                !state
                    .scan(&state_keys::unit_records_of(n, IndexTag::Info(*c)), None, 1)
                    .is_empty()
            })
        })
        .collect()
}
