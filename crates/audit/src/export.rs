//! The chain export format (`tracechain-export/1`, ADR 0087): what `GET /v1/export` streams
//! and `tracechain export` saves, read back by `tracechain audit chain --export` or `--node`.
//!
//! ```text
//! export  = magic "TCEXPORT" ‖ version u32-le (1) ‖ frame*
//! frame   = tag u8 ‖ length u32-le ‖ payload (length bytes)
//! tag 1   header: Borsh ExportHeader — first frame, exactly once
//! tag 2   block:  Borsh (Block, CommitCertificate) — heights from..=to, ascending, no gaps
//! tag 3   end:    Borsh ExportEnd — last frame: how many blocks and the last block's hash
//! ```
//!
//! Every frame says its length, so a reader needs no lookahead and refuses a frame over its
//! limit before reading it; the end frame tells a complete export from one cut short (a
//! dropped connection, a truncated file). Nothing in the format is trusted: the auditor checks
//! every block and certificate itself; the genesis file in the header only lets a reader see
//! which chain an export claims to be of, and is compared with the auditor's own.

use std::io::{Read, Write};

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_types::{decode, encode, Block, ChainId, CommitCertificate, Hash};

/// The first bytes of every export.
pub const MAGIC: &[u8; 8] = b"TCEXPORT";
/// The format version this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The format's name (in summaries and docs).
pub const FORMAT_NAME: &str = "tracechain-export/1";
/// Frame tag of the header.
pub const TAG_HEADER: u8 = 1;
/// Frame tag of a block with its certificate.
pub const TAG_BLOCK: u8 = 2;
/// Frame tag of the end.
pub const TAG_END: u8 = 3;
/// Largest header frame a reader accepts (the genesis file is at most 1 MiB).
pub const MAX_HEADER_BYTES: usize = 2 * 1024 * 1024;
/// Default largest block frame a reader accepts: the largest stored block
/// (`tracechain_storage::MAX_STORED_BLOCK_BYTES`, 64 MiB) with a certificate.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 65 * 1024 * 1024;

/// What an export is of.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ExportHeader {
    /// The chain.
    pub chain_id: ChainId,
    /// The genesis block's hash.
    pub genesis_hash: Hash,
    /// First height exported.
    pub from: u64,
    /// Last height exported (the node's tip when the export began, or the asked height).
    pub to: u64,
    /// The genesis file the node runs with, as it is on disk.
    pub genesis_file: Vec<u8>,
}

/// The last frame.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ExportEnd {
    /// Blocks in the export.
    pub blocks: u64,
    /// The last block's hash (zero when none).
    pub last_hash: Hash,
}

/// Why an export cannot be read. Each names where in the stream it failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the underlying file or connection failed.
    #[error("export: read failed after {offset} bytes: {error}")]
    Io {
        /// Bytes read before the failure.
        offset: u64,
        /// The error.
        error: std::io::Error,
    },
    /// Not an export, or of another format version.
    #[error("not a {FORMAT_NAME} export: {0}")]
    NotAnExport(String),
    /// The stream ends without its end frame.
    #[error("export ends after {offset} bytes without its end frame (cut short)")]
    Truncated {
        /// Bytes read.
        offset: u64,
    },
    /// A frame is malformed, out of place or over its limit.
    #[error("export frame at byte {offset}: {reason}")]
    Frame {
        /// Where the frame starts.
        offset: u64,
        /// Why.
        reason: String,
    },
}

/// Write an export frame by frame (the node's handler and tests).
#[derive(Debug)]
pub struct ExportWriter<W: Write> {
    out: W,
    blocks: u64,
    last_hash: Hash,
}

impl<W: Write> ExportWriter<W> {
    /// Start an export: magic, version and header.
    pub fn new(mut out: W, header: &ExportHeader) -> std::io::Result<ExportWriter<W>> {
        out.write_all(MAGIC)?;
        out.write_all(&FORMAT_VERSION.to_le_bytes())?;
        write_frame(&mut out, TAG_HEADER, &encode(header))?;
        Ok(ExportWriter {
            out,
            blocks: 0,
            last_hash: Hash::ZERO,
        })
    }

    /// Append a block and its certificate.
    pub fn block(&mut self, block: &Block, cert: &CommitCertificate) -> std::io::Result<()> {
        self.blocks += 1;
        self.last_hash = block.hash();
        write_frame(&mut self.out, TAG_BLOCK, &encode(&(block, cert)))
    }

    /// Append the end frame; returns the output.
    pub fn finish(mut self) -> std::io::Result<W> {
        let end = ExportEnd {
            blocks: self.blocks,
            last_hash: self.last_hash,
        };
        write_frame(&mut self.out, TAG_END, &encode(&end))?;
        self.out.flush()?;
        Ok(self.out)
    }

    /// The output (to drain a buffer between frames).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }
}

/// One frame's bytes: tag, length, payload.
pub fn frame(tag: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 5);
    write_frame(&mut out, tag, payload).expect("writing to a Vec does not fail");
    out
}

fn write_frame(out: &mut impl Write, tag: u8, payload: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(payload.len())
        .map_err(|_| std::io::Error::other("an export frame over 4 GiB"))?;
    out.write_all(&[tag])?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(payload)
}

/// Read an export: its header at once, then its blocks as an iterator, then the end frame
/// checked against what was read.
#[derive(Debug)]
pub struct ExportReader<R: Read> {
    input: R,
    offset: u64,
    max_frame_bytes: usize,
    header: ExportHeader,
    blocks: u64,
    last_hash: Hash,
    done: bool,
}

impl<R: Read> ExportReader<R> {
    /// Read the magic, version and header; block frames over `max_frame_bytes` are refused.
    pub fn new(input: R, max_frame_bytes: usize) -> Result<ExportReader<R>, ExportError> {
        let mut r = ExportReader {
            input,
            offset: 0,
            max_frame_bytes,
            header: ExportHeader {
                chain_id: ChainId::new("x").expect("a valid id"),
                genesis_hash: Hash::ZERO,
                from: 0,
                to: 0,
                genesis_file: Vec::new(),
            },
            blocks: 0,
            last_hash: Hash::ZERO,
            done: false,
        };
        let mut start = [0u8; 12];
        if !r.fill(&mut start)? {
            return Err(ExportError::NotAnExport("shorter than its magic".into()));
        }
        if &start[..8] != MAGIC {
            return Err(ExportError::NotAnExport("no TCEXPORT magic".into()));
        }
        let version = u32::from_le_bytes(start[8..12].try_into().expect("4 bytes"));
        if version != FORMAT_VERSION {
            return Err(ExportError::NotAnExport(format!(
                "format version {version}, this reader knows {FORMAT_VERSION}"
            )));
        }
        let at = r.offset;
        match r.frame(MAX_HEADER_BYTES)? {
            Some((TAG_HEADER, payload)) => {
                r.header = decode(&payload, MAX_HEADER_BYTES).map_err(|e| ExportError::Frame {
                    offset: at,
                    reason: format!("header does not decode: {e}"),
                })?;
            }
            Some((tag, _)) => {
                return Err(ExportError::Frame {
                    offset: at,
                    reason: format!("the first frame has tag {tag}, not the header's"),
                })
            }
            None => return Err(ExportError::Truncated { offset: r.offset }),
        }
        if r.header.from > r.header.to.saturating_add(1) {
            return Err(ExportError::Frame {
                offset: at,
                reason: format!(
                    "header range {}..={} is not a range",
                    r.header.from, r.header.to
                ),
            });
        }
        Ok(r)
    }

    /// The header.
    pub fn header(&self) -> &ExportHeader {
        &self.header
    }

    /// Fill `buf` completely; false when the input ended before its first byte.
    fn fill(&mut self, buf: &mut [u8]) -> Result<bool, ExportError> {
        let mut got = 0;
        while got < buf.len() {
            match self.input.read(&mut buf[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => {
                    return Err(ExportError::Truncated {
                        offset: self.offset,
                    })
                }
                Ok(n) => {
                    got += n;
                    self.offset += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => {
                    return Err(ExportError::Io {
                        offset: self.offset,
                        error,
                    })
                }
            }
        }
        Ok(true)
    }

    /// The next frame (tag, payload), or `None` at the end of the input.
    fn frame(&mut self, limit: usize) -> Result<Option<(u8, Vec<u8>)>, ExportError> {
        let at = self.offset;
        let mut head = [0u8; 5];
        if !self.fill(&mut head)? {
            return Ok(None);
        }
        let len = u32::from_le_bytes(head[1..5].try_into().expect("4 bytes")) as usize;
        if len > limit {
            return Err(ExportError::Frame {
                offset: at,
                reason: format!("a frame of {len} bytes is over the limit of {limit}"),
            });
        }
        let mut payload = vec![0u8; len];
        if !self.fill(&mut payload)? && len > 0 {
            return Err(ExportError::Truncated {
                offset: self.offset,
            });
        }
        Ok(Some((head[0], payload)))
    }

    /// The next block with its certificate, `None` after a valid end frame.
    pub fn next_block(&mut self) -> Result<Option<(Block, CommitCertificate)>, ExportError> {
        if self.done {
            return Ok(None);
        }
        let at = self.offset;
        let bad = |reason: String| ExportError::Frame { offset: at, reason };
        match self.frame(self.max_frame_bytes)? {
            None => Err(ExportError::Truncated {
                offset: self.offset,
            }),
            Some((TAG_BLOCK, payload)) => {
                let (block, cert): (Block, CommitCertificate) =
                    decode(&payload, self.max_frame_bytes).map_err(|e| {
                        bad(format!(
                            "block frame {} does not decode: {e}",
                            self.blocks + 1
                        ))
                    })?;
                self.blocks += 1;
                self.last_hash = block.hash();
                Ok(Some((block, cert)))
            }
            Some((TAG_END, payload)) => {
                let end: ExportEnd = decode(&payload, 64)
                    .map_err(|e| bad(format!("end frame does not decode: {e}")))?;
                // Every block the header promised: a node cannot end an export early with a
                // well-formed end frame and present a shorter chain as the whole one.
                let promised = (self.header.to + 1).saturating_sub(self.header.from);
                if self.blocks != promised {
                    return Err(bad(format!(
                        "the header promises blocks {}..={} ({promised}), the export holds {}",
                        self.header.from, self.header.to, self.blocks
                    )));
                }
                if end.blocks != self.blocks || end.last_hash != self.last_hash {
                    return Err(bad(format!(
                        "end frame names {} blocks ending with {}, the export holds {} ending with {}",
                        end.blocks, end.last_hash, self.blocks, self.last_hash
                    )));
                }
                let mut rest = [0u8; 1];
                if self.fill(&mut rest)? {
                    return Err(ExportError::Frame {
                        offset: self.offset - 1,
                        reason: "bytes after the end frame".into(),
                    });
                }
                self.done = true;
                Ok(None)
            }
            Some((tag, _)) => Err(bad(format!("unknown frame tag {tag}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracechain_types::{BlockHeader, PublicKey};

    fn block(h: u64) -> (Block, CommitCertificate) {
        let header = BlockHeader {
            chain_id: ChainId::new("t").unwrap(),
            height: h,
            view: 0,
            parent: Hash([h as u8; 32]),
            timestamp_ms: h,
            tx_root: Hash::ZERO,
            state_root: Hash::ZERO,
            proposer: PublicKey([1; 32]),
            validator_set_hash: Hash::ZERO,
        };
        let block = Block {
            header,
            txs: vec![],
        };
        let cert = CommitCertificate {
            height: h,
            view: 0,
            block_hash: block.hash(),
            votes: vec![],
        };
        (block, cert)
    }

    fn export(n: u64) -> Vec<u8> {
        let header = ExportHeader {
            chain_id: ChainId::new("t").unwrap(),
            genesis_hash: Hash([9; 32]),
            from: 1,
            to: n,
            genesis_file: b"chain_id = \"t\"".to_vec(),
        };
        let mut w = ExportWriter::new(Vec::new(), &header).unwrap();
        for h in 1..=n {
            let (b, c) = block(h);
            w.block(&b, &c).unwrap();
        }
        w.finish().unwrap()
    }

    fn read_all(bytes: &[u8], limit: usize) -> Result<(ExportHeader, Vec<u64>), ExportError> {
        let mut r = ExportReader::new(bytes, limit)?;
        let mut heights = vec![];
        while let Some((b, _)) = r.next_block()? {
            heights.push(b.header.height);
        }
        Ok((r.header().clone(), heights))
    }

    #[test]
    fn an_export_reads_back_as_written() {
        let (h, heights) = read_all(&export(3), DEFAULT_MAX_FRAME_BYTES).unwrap();
        assert_eq!((h.from, h.to, h.genesis_hash), (1, 3, Hash([9; 32])));
        assert_eq!(heights, vec![1, 2, 3]);
        let (_, none) = read_all(&export(0), DEFAULT_MAX_FRAME_BYTES).unwrap();
        assert!(none.is_empty());
    }

    /// A reader interrupted by signals (`ErrorKind::Interrupted`) before every read, and
    /// giving at most 3 bytes at a time: the export still reads whole; a real error is named
    /// with its offset.
    #[test]
    fn interrupted_and_short_reads_are_retried_and_errors_named() {
        struct Jumpy<'a> {
            data: &'a [u8],
            interrupt: bool,
            fail_at: Option<usize>,
            at: usize,
        }
        impl Read for Jumpy<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.interrupt = !self.interrupt;
                if self.interrupt {
                    return Err(std::io::ErrorKind::Interrupted.into());
                }
                if self.fail_at.is_some_and(|f| self.at >= f) {
                    return Err(std::io::Error::other("disk on fire"));
                }
                let n = buf.len().min(3).min(self.data.len() - self.at);
                buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
                self.at += n;
                Ok(n)
            }
        }
        let full = export(3);
        let jumpy = Jumpy {
            data: &full,
            interrupt: false,
            fail_at: None,
            at: 0,
        };
        let mut r = ExportReader::new(jumpy, DEFAULT_MAX_FRAME_BYTES).unwrap();
        let mut n = 0;
        while r.next_block().unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, 3);
        let failing = Jumpy {
            data: &full,
            interrupt: false,
            fail_at: Some(40),
            at: 0,
        };
        let e = match ExportReader::new(failing, DEFAULT_MAX_FRAME_BYTES) {
            Err(e) => e,
            Ok(mut r) => loop {
                match r.next_block() {
                    Err(e) => break e,
                    Ok(Some(_)) => {}
                    Ok(None) => panic!("a failing reader read whole"),
                }
            },
        };
        assert!(matches!(e, ExportError::Io { offset: 40.., .. }), "{e}");
        assert!(e.to_string().contains("disk on fire"));
    }

    #[test]
    fn a_cut_or_altered_export_is_refused_where_it_breaks() {
        let full = export(3);
        // Cut at every length: never a complete read.
        for len in 0..full.len() {
            let e = read_all(&full[..len], DEFAULT_MAX_FRAME_BYTES).unwrap_err();
            assert!(
                matches!(
                    e,
                    ExportError::Truncated { .. } | ExportError::NotAnExport(_)
                ),
                "cut at {len}: {e}"
            );
        }
        // Another magic, another version.
        let mut b = full.clone();
        b[0] = b'X';
        assert!(matches!(
            read_all(&b, 1 << 20),
            Err(ExportError::NotAnExport(_))
        ));
        let mut b = full.clone();
        b[8] = 2;
        let e = read_all(&b, 1 << 20).unwrap_err().to_string();
        assert!(e.contains("format version 2"), "{e}");
        // Bytes after the end frame.
        let mut b = full.clone();
        b.push(0);
        let e = read_all(&b, 1 << 20).unwrap_err();
        assert!(
            matches!(&e, ExportError::Frame { offset, .. } if *offset == full.len() as u64),
            "{e}"
        );
        assert!(e.to_string().contains("after the end frame"), "{e}");
        // A block frame over the reader's limit is refused before it is read.
        let e = read_all(&full, 100).unwrap_err().to_string();
        assert!(e.contains("over the limit of 100"), "{e}");
        // A block frame exactly at the limit is read; one byte less refuses it.
        let largest = (1..=3).map(|h| encode(&block(h)).len()).max().unwrap();
        assert!(read_all(&full, largest).is_ok());
        let e = read_all(&full, largest - 1).unwrap_err().to_string();
        assert!(
            e.contains(&format!("over the limit of {}", largest - 1)),
            "{e}"
        );
        // An end frame that does not count what came before (a block frame dropped).
        let header_len = 12 + 5 + u32::from_le_bytes(full[13..17].try_into().unwrap()) as usize;
        let first_len =
            5 + u32::from_le_bytes(full[header_len + 1..header_len + 5].try_into().unwrap())
                as usize;
        let mut b = full[..header_len].to_vec();
        b.extend_from_slice(&full[header_len + first_len..]);
        let e = read_all(&b, 1 << 20).unwrap_err().to_string();
        assert!(
            e.contains("promises blocks 1..=3 (3), the export holds 2"),
            "{e}"
        );
        // An end frame that names another last block.
        let end_len = 5 + 8 + 32;
        let mut b = full[..full.len() - end_len].to_vec();
        b.extend_from_slice(&frame(
            TAG_END,
            &encode(&ExportEnd {
                blocks: 3,
                last_hash: Hash([1; 32]),
            }),
        ));
        let e = read_all(&b, 1 << 20).unwrap_err().to_string();
        assert!(e.contains("end frame names 3 blocks"), "{e}");
        // A shorter chain with a well-formed end frame: the header promised three blocks.
        let header = ExportHeader {
            chain_id: ChainId::new("t").unwrap(),
            genesis_hash: Hash([9; 32]),
            from: 1,
            to: 3,
            genesis_file: vec![],
        };
        let mut w = ExportWriter::new(Vec::new(), &header).unwrap();
        let (b1, c1) = block(1);
        w.block(&b1, &c1).unwrap();
        let e = read_all(&w.finish().unwrap(), 1 << 20)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("promises blocks 1..=3 (3), the export holds 1"),
            "{e}"
        );
        // An unknown tag.
        let mut b = full.clone();
        b[header_len] = 7;
        let e = read_all(&b, 1 << 20).unwrap_err().to_string();
        assert!(e.contains("unknown frame tag 7"), "{e}");
        // A header that is not first.
        let mut b = full[..12].to_vec();
        b.extend_from_slice(&full[header_len..]);
        let e = read_all(&b, 1 << 20).unwrap_err().to_string();
        assert!(e.contains("not the header"), "{e}");
    }
}
