//! A validator that never sends its proposals (pre-prepares and new-views).

use crate::messages::Message;
use crate::sim::Cluster;

impl Cluster {
    /// Broadcast node `i`'s message unless it is a proposal.
    pub(in crate::sim) fn silent_broadcast(&mut self, i: usize, msg: Message) {
        if matches!(msg, Message::PrePrepare(_) | Message::NewView(_)) {
            self.report.byzantine_acts += 1;
        } else {
            self.broadcast_from(i, &msg);
        }
    }
}
