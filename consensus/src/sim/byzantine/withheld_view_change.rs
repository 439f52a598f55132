//! A validator that sends each of its genuine view changes to one honest replica only, the same
//! one for the whole run (drawn from the seed), and never to the others — neither when it
//! broadcasts or re-sends them (VC1, VC8) nor inside a relay it answers (VC9). Everything else it
//! sends as an honest replica would.
//!
//! The replica it picks can gather a quorum that includes the withheld view change and move on
//! while the others wait below it (the liveness hole VC9 closes, ADR 0014): VC9 has that replica
//! relay the quorum it moved past to those still waiting for it.

use crate::messages::Message;
use crate::sim::rng::SimRng;
use crate::sim::{Behavior, Cluster};

impl Cluster {
    /// The one honest node the withholding validator sends its view changes to: drawn from the
    /// seed alone (the run's RNG stream is left untouched), the same for every view change.
    pub fn withheld_target(&self) -> Option<usize> {
        let honest: Vec<usize> = (0..self.nodes.len())
            .filter(|i| self.nodes[*i].behavior == Behavior::Honest)
            .collect();
        let mut rng = SimRng::new(self.opts.seed ^ 0x5717_4E1D_0000_0000);
        honest.get(rng.below(honest.len() as u64) as usize).copied()
    }

    /// Whether node `i`'s message may go to node `to`: not when it is `i`'s own view change and
    /// `to` is not the chosen target.
    pub(in crate::sim) fn withheld_allows(&mut self, i: usize, to: usize, msg: &Message) -> bool {
        let Message::ViewChange(vcm) = msg else {
            return true;
        };
        if vcm.view_change.body.voter != self.key_of(i) || Some(to) == self.withheld_target() {
            return true;
        }
        self.report.byzantine_acts += 1;
        false
    }

    /// Broadcast node `i`'s message, its own view changes to the chosen target only.
    pub(in crate::sim) fn withhold_broadcast(&mut self, i: usize, msg: Message) {
        for to in 0..self.nodes.len() {
            if to != i && self.withheld_allows(i, to, &msg) {
                self.send_to(i, to, msg.clone());
            }
        }
    }
}
