//! Length-prefixed frames: a 4-byte big-endian length, then that many bytes. The length is
//! checked against the protocol's limit before anything is allocated for the body, so a peer
//! announcing a huge frame costs four bytes of reading and the connection.

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Why a frame was not read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The announced length is above the limit (nothing was allocated for it).
    #[error("frame of {len} bytes is over the limit of {limit} bytes")]
    TooLarge {
        /// Announced length.
        len: u64,
        /// The protocol's limit.
        limit: usize,
    },
    /// The stream ended cleanly before a frame started.
    #[error("stream closed")]
    Closed,
    /// I/O error (including a stream that ended inside a frame).
    #[error("stream error: {0}")]
    Io(#[from] std::io::Error),
}

/// Read one frame of at most `limit` bytes.
pub async fn read_frame<R: AsyncRead + Unpin>(
    io: &mut R,
    limit: usize,
) -> Result<Vec<u8>, FrameError> {
    let mut len = [0u8; 4];
    // A clean end of stream before the first byte of a frame is a close, not an error.
    let first = io.read(&mut len[..1]).await?;
    if first == 0 {
        return Err(FrameError::Closed);
    }
    io.read_exact(&mut len[1..]).await?;
    let len = u32::from_be_bytes(len) as u64;
    if len > limit as u64 {
        return Err(FrameError::TooLarge { len, limit });
    }
    // Grow with what arrives instead of allocating the announced length up front: a peer that
    // announces a large frame and sends little of it holds only what it sent.
    let mut body = Vec::with_capacity((len as usize).min(64 * 1024));
    let got = io.take(len).read_to_end(&mut body).await?;
    if (got as u64) < len {
        return Err(FrameError::Io(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("stream ended {got} bytes into a frame of {len}"),
        )));
    }
    Ok(body)
}

/// Write one frame (the caller keeps frames under the receiver's limit; a larger one is refused
/// here rather than sent to be refused there).
pub async fn write_frame<W: AsyncWrite + Unpin>(
    io: &mut W,
    body: &[u8],
    limit: usize,
) -> Result<(), FrameError> {
    if body.len() > limit || body.len() > u32::MAX as usize {
        return Err(FrameError::TooLarge {
            len: body.len() as u64,
            limit,
        });
    }
    io.write_all(&(body.len() as u32).to_be_bytes()).await?;
    io.write_all(body).await?;
    io.flush().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use futures::io::Cursor;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    #[test]
    fn frames_round_trip_in_order() {
        let mut buf = Cursor::new(Vec::new());
        block_on(async {
            write_frame(&mut buf, b"one", 16).await.unwrap();
            write_frame(&mut buf, b"", 16).await.unwrap();
            write_frame(&mut buf, &[7u8; 16], 16).await.unwrap();
        });
        buf.set_position(0);
        block_on(async {
            assert_eq!(read_frame(&mut buf, 16).await.unwrap(), b"one");
            assert_eq!(read_frame(&mut buf, 16).await.unwrap(), b"");
            assert_eq!(read_frame(&mut buf, 16).await.unwrap(), vec![7u8; 16]);
            assert!(matches!(
                read_frame(&mut buf, 16).await,
                Err(FrameError::Closed)
            ));
        });
    }

    /// A reader that yields a length header and then never ends: a reader that tried to read
    /// (or allocate) the body would hang or fail differently.
    struct HeaderThenPending {
        header: Vec<u8>,
        at: usize,
    }

    impl AsyncRead for HeaderThenPending {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<std::io::Result<usize>> {
            if self.at < self.header.len() {
                let n = buf.len().min(self.header.len() - self.at);
                let at = self.at;
                buf[..n].copy_from_slice(&self.header[at..at + n]);
                self.at += n;
                Poll::Ready(Ok(n))
            } else {
                Poll::Pending
            }
        }
    }

    #[test]
    fn an_oversized_frame_is_refused_from_its_header_alone() {
        for len in [17u32, 1 << 20, u32::MAX] {
            let mut r = HeaderThenPending {
                header: len.to_be_bytes().to_vec(),
                at: 0,
            };
            let e = block_on(read_frame(&mut r, 16)).unwrap_err();
            assert!(
                matches!(e, FrameError::TooLarge { len: l, limit: 16 } if l == len as u64),
                "{e}"
            );
        }
        // At the limit the body is read.
        let mut ok = Cursor::new([&16u32.to_be_bytes()[..], &[1u8; 16]].concat());
        assert_eq!(block_on(read_frame(&mut ok, 16)).unwrap(), vec![1u8; 16]);
    }

    #[test]
    fn a_frame_cut_short_is_an_error_not_a_close() {
        let mut r = Cursor::new([&8u32.to_be_bytes()[..], b"abc"].concat());
        assert!(matches!(
            block_on(read_frame(&mut r, 16)),
            Err(FrameError::Io(_))
        ));
        let mut r = Cursor::new(vec![0u8, 0]);
        assert!(matches!(
            block_on(read_frame(&mut r, 16)),
            Err(FrameError::Io(_))
        ));
    }

    #[test]
    fn writing_over_the_limit_is_refused_before_sending() {
        let mut buf = Cursor::new(Vec::new());
        let e = block_on(write_frame(&mut buf, &[0u8; 17], 16)).unwrap_err();
        assert!(matches!(e, FrameError::TooLarge { len: 17, .. }));
        assert!(buf.get_ref().is_empty(), "nothing written");
    }
}
