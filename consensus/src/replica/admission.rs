//! Message admission (M1–M6, B1–B2): who may send what, future messages, batch signature checks.

use super::*;

impl<S: ConsensusSigner, V: SignatureVerifier> Replica<S, V> {
    pub(super) fn on_message(&mut self, from: PublicKey, message: Message, out: &mut Vec<Action>) {
        if from == self.me {
            return;
        }
        // M1: membership first — a key outside every validator set this replica knows costs a
        // set lookup, never a signature verification.
        if !self.is_member_near(&from) {
            self.reject(from, ConsensusError::NotAValidator(from), out);
            return;
        }
        // SY1: any certificate carried by a message may show that we are behind.
        match &message {
            Message::Decided(c) => {
                let c = c.clone();
                self.on_certificate(from, &c, out);
                return;
            }
            Message::PrePrepare(pp) => {
                if let Some(c) = &pp.parent_cert {
                    if c.height >= self.height {
                        let c = c.clone();
                        if !self.on_certificate(from, &c, out) {
                            return; // B4: a rejected message is not kept
                        }
                    }
                }
            }
            Message::ViewChange(vc) => {
                if let Some(c) = &vc.view_change.body.committed {
                    if c.height >= self.height {
                        let c = c.clone();
                        if !self.on_certificate(from, &c, out) {
                            return; // B4: a rejected message is not kept
                        }
                    }
                }
            }
            _ => {}
        }
        let h = message.height();
        if h < self.height {
            // Old: drop. A view change from a lagging validator gets our last certificate.
            if let (Message::ViewChange(_), Some(cert)) = (&message, &self.last.cert) {
                if self.cur_set().contains(&from) {
                    out.push(Action::Send {
                        to: from,
                        message: Message::Decided(cert.clone()),
                    });
                }
            }
            return;
        }
        if h > self.height {
            // B1/B2: buffer bounded, from validators of the next sets only.
            if h <= self
                .height
                .saturating_add(self.cfg.limits.max_future_heights)
                && self.is_member_near(&from)
            {
                self.buffer.push(from, message);
            }
            return;
        }
        if !self.cur_set().contains(&from) {
            self.reject(from, ConsensusError::NotAValidator(from), out);
            return;
        }
        match message {
            Message::PrePrepare(pp) => self.on_preprepare(from, pp, out),
            Message::Prepare(v) => self.on_prepare(from, v, out),
            Message::Commit(v) => self.on_commit(from, v, out),
            Message::ViewChange(vc) => self.on_view_change(from, vc, out),
            Message::NewView(nv) => self.on_new_view(from, nv, out),
            Message::Decided(_) => {}
        }
    }

    pub(super) fn is_member_near(&self, key: &PublicKey) -> bool {
        self.sets.iter().any(|(_, s, _)| s.contains(key))
    }

    pub(super) fn buffer_future_view(&mut self, from: PublicKey, message: Message) {
        if message.view() <= self.view.saturating_add(self.cfg.limits.max_future_views) {
            self.buffer.push(from, message);
        }
    }

    /// M5: verify collected signatures as one batch; when the batch fails, find the first bad
    /// one (in the order they were collected) to report it.
    pub(super) fn verify_checks(&self, checks: &[SigCheck]) -> Result<(), ConsensusError> {
        if checks.is_empty() {
            return Ok(());
        }
        let items: Vec<(PublicKey, &[u8], Signature)> = checks
            .iter()
            .map(|c| (c.key, c.msg.as_slice(), c.sig))
            .collect();
        if self.verifier.verify_batch(&items) {
            return Ok(());
        }
        for c in checks {
            if !self.verifier.verify(&c.key, &c.msg, &c.sig) {
                return Err(c.err.clone());
            }
        }
        panic!("invariant: batch verification agrees with single verification")
    }
}
