//! The index tags: the short tag a record is indexed under per trace unit
//! (`tur/{code}/{tag}/…`, [`crate::state_keys::unit_record`]) and by reference
//! (`tref/{code}/{tag}/…`), one type for the categories of the information blocks
//! ([`IndexTag::Info`]), the business records and the reads that ask for
//! them. The tags are part of the state keys: [`IndexTag::as_str`] must never change.

use std::fmt;
use std::str::FromStr;

use tracechain_types::Category;

/// The tag a record is indexed under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IndexTag {
    /// `REG`: participant registrations (R-A1).
    Registration,
    /// `DEC`: participant decisions (R-B5).
    Decision,
    /// `REL`: trade relationships (R-A6).
    Relationship,
    /// `TU`: trace-unit and item-code registrations (R-I1).
    TraceUnit,
    /// `P1` … `C2`: the records of one category of the information blocks (Tables 1–4),
    /// tagged with the category's code ([`Category::code`]).
    Info(Category),
    /// `B1`: validator-set changes (R-B1).
    ValidatorSet,
    /// `B2`: filings (R-B2).
    Filing,
    /// `B3`: export declarations and their decisions (R-B3).
    Declaration,
    /// `B5`: filing decisions (R-B5).
    FilingDecision,
    /// `Q1`: link authorisations and payment–order links (R-Q1).
    Link,
    /// `LIN`: lineage links (transformation, aggregation, shipment).
    Lineage,
    /// `S1`: anchored documents (R-S1).
    Document,
    /// `S3`: recalls (R-S3).
    Recall,
    /// `S4`: consumer scans (R-S4).
    Scan,
    /// `S7`: feedback and answers (R-S7).
    Feedback,
    /// `HO`: custody handovers (ADR 0049).
    Handover,
    /// `GCP`: GS1 company prefix claims, decisions and delegations (ADR 0042).
    CompanyPrefix,
    /// `EPCIS`: anchored EPCIS events (ADR 0033).
    Epcis,
}

impl IndexTag {
    /// Every tag.
    pub const ALL: [IndexTag; 31] = [
        IndexTag::Registration,
        IndexTag::Decision,
        IndexTag::Relationship,
        IndexTag::TraceUnit,
        IndexTag::Info(Category::P1),
        IndexTag::Info(Category::P2),
        IndexTag::Info(Category::P3),
        IndexTag::Info(Category::P4),
        IndexTag::Info(Category::T1),
        IndexTag::Info(Category::T2),
        IndexTag::Info(Category::T3),
        IndexTag::Info(Category::L1),
        IndexTag::Info(Category::L2),
        IndexTag::Info(Category::L3),
        IndexTag::Info(Category::L4),
        IndexTag::Info(Category::L5),
        IndexTag::Info(Category::C1),
        IndexTag::Info(Category::C2),
        IndexTag::ValidatorSet,
        IndexTag::Filing,
        IndexTag::Declaration,
        IndexTag::FilingDecision,
        IndexTag::Link,
        IndexTag::Lineage,
        IndexTag::Document,
        IndexTag::Recall,
        IndexTag::Scan,
        IndexTag::Feedback,
        IndexTag::Handover,
        IndexTag::CompanyPrefix,
        IndexTag::Epcis,
    ];

    /// The tag as it stands in state keys (`P2`, `B3`, `LIN`).
    pub const fn as_str(self) -> &'static str {
        match self {
            IndexTag::Registration => "REG",
            IndexTag::Decision => "DEC",
            IndexTag::Relationship => "REL",
            IndexTag::TraceUnit => "TU",
            IndexTag::Info(c) => c.code(),
            IndexTag::ValidatorSet => "B1",
            IndexTag::Filing => "B2",
            IndexTag::Declaration => "B3",
            IndexTag::FilingDecision => "B5",
            IndexTag::Link => "Q1",
            IndexTag::Lineage => "LIN",
            IndexTag::Document => "S1",
            IndexTag::Recall => "S3",
            IndexTag::Scan => "S4",
            IndexTag::Feedback => "S7",
            IndexTag::Handover => "HO",
            IndexTag::CompanyPrefix => "GCP",
            IndexTag::Epcis => "EPCIS",
        }
    }

    /// The tag's bytes in a state key.
    pub fn as_bytes(self) -> &'static [u8] {
        self.as_str().as_bytes()
    }
}

impl fmt::Display for IndexTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not an index tag.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an index tag")]
pub struct UnknownIndexTag(pub String);

impl FromStr for IndexTag {
    type Err = UnknownIndexTag;

    fn from_str(s: &str) -> Result<IndexTag, UnknownIndexTag> {
        IndexTag::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownIndexTag(s.to_string()))
    }
}

impl serde::Serialize for IndexTag {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl From<Category> for IndexTag {
    fn from(c: Category) -> IndexTag {
        IndexTag::Info(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_tags_are_distinct_and_parse_back() {
        let mut seen = std::collections::BTreeSet::new();
        for t in IndexTag::ALL {
            assert!(seen.insert(t.as_str()), "{t} twice");
            assert_eq!(t.as_str().parse::<IndexTag>(), Ok(t));
        }
        assert!("XX".parse::<IndexTag>().is_err());
    }
}
