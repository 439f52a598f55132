//! The rule ids of the traceability rules document (`R-M1` … `R-S7`) as a type: errors,
//! the permission table, completeness reports and the rule-coverage test name rules by
//! [`Rule`], which displays (and serialises) as the document writes it (`Rule::RA6` is
//! `R-A6`). The coverage test checks that [`Rule::ALL`] is exactly the document's list.

use std::fmt;
use std::str::FromStr;

/// A rule id of the traceability rules document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// `R-M1`.
    RM1,
    /// `R-M2`.
    RM2,
    /// `R-M3`.
    RM3,
    /// `R-P1`.
    RP1,
    /// `R-P2`.
    RP2,
    /// `R-P3`.
    RP3,
    /// `R-P4`.
    RP4,
    /// `R-T1`.
    RT1,
    /// `R-T2`.
    RT2,
    /// `R-T3`.
    RT3,
    /// `R-L1`.
    RL1,
    /// `R-L2`.
    RL2,
    /// `R-L3`.
    RL3,
    /// `R-L4`.
    RL4,
    /// `R-L5`.
    RL5,
    /// `R-C1`.
    RC1,
    /// `R-C2`.
    RC2,
    /// `R-X1`.
    RX1,
    /// `R-X2`.
    RX2,
    /// `R-X3`.
    RX3,
    /// `R-X4`.
    RX4,
    /// `R-I1`.
    RI1,
    /// `R-I2`.
    RI2,
    /// `R-I3`.
    RI3,
    /// `R-I4`.
    RI4,
    /// `R-N1`.
    RN1,
    /// `R-N2`.
    RN2,
    /// `R-N3`.
    RN3,
    /// `R-N4`.
    RN4,
    /// `R-A1`.
    RA1,
    /// `R-A2`.
    RA2,
    /// `R-A3`.
    RA3,
    /// `R-A4`.
    RA4,
    /// `R-A5`.
    RA5,
    /// `R-A6`.
    RA6,
    /// `R-B1`.
    RB1,
    /// `R-B2`.
    RB2,
    /// `R-B3`.
    RB3,
    /// `R-B4`.
    RB4,
    /// `R-B5`.
    RB5,
    /// `R-Q1`.
    RQ1,
    /// `R-Q2`.
    RQ2,
    /// `R-Q3`.
    RQ3,
    /// `R-D1`.
    RD1,
    /// `R-D2`.
    RD2,
    /// `R-D3`.
    RD3,
    /// `R-D4`.
    RD4,
    /// `R-S1`.
    RS1,
    /// `R-S2`.
    RS2,
    /// `R-S3`.
    RS3,
    /// `R-S4`.
    RS4,
    /// `R-S5`.
    RS5,
    /// `R-S6`.
    RS6,
    /// `R-S7`.
    RS7,
}

impl Rule {
    /// Every rule id, in the document's order.
    pub const ALL: [Rule; 54] = [
        Rule::RM1,
        Rule::RM2,
        Rule::RM3,
        Rule::RP1,
        Rule::RP2,
        Rule::RP3,
        Rule::RP4,
        Rule::RT1,
        Rule::RT2,
        Rule::RT3,
        Rule::RL1,
        Rule::RL2,
        Rule::RL3,
        Rule::RL4,
        Rule::RL5,
        Rule::RC1,
        Rule::RC2,
        Rule::RX1,
        Rule::RX2,
        Rule::RX3,
        Rule::RX4,
        Rule::RI1,
        Rule::RI2,
        Rule::RI3,
        Rule::RI4,
        Rule::RN1,
        Rule::RN2,
        Rule::RN3,
        Rule::RN4,
        Rule::RA1,
        Rule::RA2,
        Rule::RA3,
        Rule::RA4,
        Rule::RA5,
        Rule::RA6,
        Rule::RB1,
        Rule::RB2,
        Rule::RB3,
        Rule::RB4,
        Rule::RB5,
        Rule::RQ1,
        Rule::RQ2,
        Rule::RQ3,
        Rule::RD1,
        Rule::RD2,
        Rule::RD3,
        Rule::RD4,
        Rule::RS1,
        Rule::RS2,
        Rule::RS3,
        Rule::RS4,
        Rule::RS5,
        Rule::RS6,
        Rule::RS7,
    ];

    /// The id as the document writes it (`R-A6`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Rule::RM1 => "R-M1",
            Rule::RM2 => "R-M2",
            Rule::RM3 => "R-M3",
            Rule::RP1 => "R-P1",
            Rule::RP2 => "R-P2",
            Rule::RP3 => "R-P3",
            Rule::RP4 => "R-P4",
            Rule::RT1 => "R-T1",
            Rule::RT2 => "R-T2",
            Rule::RT3 => "R-T3",
            Rule::RL1 => "R-L1",
            Rule::RL2 => "R-L2",
            Rule::RL3 => "R-L3",
            Rule::RL4 => "R-L4",
            Rule::RL5 => "R-L5",
            Rule::RC1 => "R-C1",
            Rule::RC2 => "R-C2",
            Rule::RX1 => "R-X1",
            Rule::RX2 => "R-X2",
            Rule::RX3 => "R-X3",
            Rule::RX4 => "R-X4",
            Rule::RI1 => "R-I1",
            Rule::RI2 => "R-I2",
            Rule::RI3 => "R-I3",
            Rule::RI4 => "R-I4",
            Rule::RN1 => "R-N1",
            Rule::RN2 => "R-N2",
            Rule::RN3 => "R-N3",
            Rule::RN4 => "R-N4",
            Rule::RA1 => "R-A1",
            Rule::RA2 => "R-A2",
            Rule::RA3 => "R-A3",
            Rule::RA4 => "R-A4",
            Rule::RA5 => "R-A5",
            Rule::RA6 => "R-A6",
            Rule::RB1 => "R-B1",
            Rule::RB2 => "R-B2",
            Rule::RB3 => "R-B3",
            Rule::RB4 => "R-B4",
            Rule::RB5 => "R-B5",
            Rule::RQ1 => "R-Q1",
            Rule::RQ2 => "R-Q2",
            Rule::RQ3 => "R-Q3",
            Rule::RD1 => "R-D1",
            Rule::RD2 => "R-D2",
            Rule::RD3 => "R-D3",
            Rule::RD4 => "R-D4",
            Rule::RS1 => "R-S1",
            Rule::RS2 => "R-S2",
            Rule::RS3 => "R-S3",
            Rule::RS4 => "R-S4",
            Rule::RS5 => "R-S5",
            Rule::RS6 => "R-S6",
            Rule::RS7 => "R-S7",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not a rule id of the document.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a rule id of the traceability rules")]
pub struct UnknownRule(pub String);

impl FromStr for Rule {
    type Err = UnknownRule;

    fn from_str(s: &str) -> Result<Rule, UnknownRule> {
        Rule::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRule(s.to_string()))
    }
}

impl serde::Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_display_as_the_document_writes_them_and_parse_back() {
        assert_eq!(Rule::RA6.to_string(), "R-A6");
        for r in Rule::ALL {
            assert_eq!(r.as_str().parse::<Rule>(), Ok(r));
        }
        assert!("R-Z9".parse::<Rule>().is_err());
    }
}
