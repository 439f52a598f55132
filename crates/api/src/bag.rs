//! A BagIt bag (RFC 8493) serialised as a POSIX ustar archive: the container of an audit
//! package (ADR 0084). Any `tar` unpacks it and `sha256sum -c` checks its manifest; this module
//! writes one and reads one back within stated limits, pure and without a panic on any input.
//!
//! Only what a bag needs: regular files under one top directory, names of at most 100 bytes
//! (no prefix field, no links, no extended headers), the `manifest-sha256.txt` of the payload
//! files under `data/` and the `tagmanifest-sha256.txt` of the tag files.

use std::collections::BTreeMap;

/// The top directory of every bag this module writes.
pub const BAG_DIR: &str = "tracechain-audit";

const BLOCK: usize = 512;

/// Why bytes are not a bag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BagError {
    /// The archive is larger than the reader accepts.
    #[error("the package is {0} bytes, more than the {1} accepted")]
    TooLarge(usize, usize),
    /// More files than the reader accepts.
    #[error("the package holds more than {0} files")]
    TooManyFiles(usize),
    /// A header or a size that is not ustar.
    #[error("archive entry {0}: {1}")]
    Tar(usize, String),
    /// A file the bag must hold is missing, or one it must not hold is there.
    #[error("bag: {0}")]
    Bag(String),
    /// A file does not hash to its manifest line.
    #[error("bag: {path} has SHA-256 {got}, its manifest says {expected}")]
    Hash {
        /// The file.
        path: String,
        /// The manifest's hash.
        expected: String,
        /// The file's hash.
        got: String,
    },
}

fn sha256_hex(b: &[u8]) -> String {
    tracechain_types::Hash::digest(b).to_hex()
}

fn octal(field: &mut [u8], v: u64) {
    let s = format!("{:0width$o}\0", v, width = field.len() - 1);
    field.copy_from_slice(s.as_bytes());
}

fn header(name: &str, size: usize, mtime_s: u64) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size as u64);
    octal(&mut h[136..148], mtime_s);
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    h
}

/// Write a bag: `payload` (path under `data/` → bytes) and the `bag-info.txt` lines, with
/// both manifests, as a ustar archive. Paths are ASCII, relative, without `..`, at most 80
/// bytes.
pub fn write(
    payload: &BTreeMap<String, Vec<u8>>,
    info: &[(String, String)],
    mtime_s: u64,
) -> Vec<u8> {
    let mut manifest = String::new();
    let mut octets = 0usize;
    for (p, b) in payload {
        manifest.push_str(&format!("{}  data/{p}\n", sha256_hex(b)));
        octets += b.len();
    }
    let bagit = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".to_vec();
    let mut bag_info = String::new();
    for (k, v) in info {
        bag_info.push_str(&format!("{k}: {}\n", v.replace(['\n', '\r'], " ")));
    }
    bag_info.push_str(&format!("Payload-Oxum: {octets}.{}\n", payload.len()));
    let tags: Vec<(String, Vec<u8>)> = vec![
        ("bagit.txt".into(), bagit),
        ("bag-info.txt".into(), bag_info.into_bytes()),
        ("manifest-sha256.txt".into(), manifest.into_bytes()),
    ];
    let mut tagmanifest = String::new();
    for (p, b) in &tags {
        tagmanifest.push_str(&format!("{}  {p}\n", sha256_hex(b)));
    }
    let mut out = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| {
        out.extend_from_slice(&header(&format!("{BAG_DIR}/{name}"), bytes.len(), mtime_s));
        out.extend_from_slice(bytes);
        out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    };
    for (p, b) in &tags {
        put(p, b);
    }
    put("tagmanifest-sha256.txt", tagmanifest.as_bytes());
    for (p, b) in payload {
        put(&format!("data/{p}"), b);
    }
    out.extend_from_slice(&[0u8; 2 * BLOCK]);
    out
}

/// A bag read back and checked: its payload files by path under `data/`, and its
/// `bag-info.txt` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bag {
    /// Payload files (path under `data/` → bytes), each checked against the manifest.
    pub payload: BTreeMap<String, Vec<u8>>,
    /// `bag-info.txt` as (label, value) lines.
    pub info: Vec<(String, String)>,
}

/// A numeric header field exactly as [`write`] makes it: octal digits, then only NUL or space
/// terminators. Leading spaces and other forms are refused, so no reader of the archive (a
/// `tar` that skips leading spaces) can see a size other than the one checked here.
fn parse_octal(f: &[u8]) -> Option<u64> {
    let end = f
        .iter()
        .position(|b| *b == 0 || *b == b' ')
        .unwrap_or(f.len());
    let (digits, rest) = f.split_at(end);
    if digits.is_empty()
        || !digits.iter().all(|b| (b'0'..=b'7').contains(b))
        || !rest.iter().all(|b| *b == 0 || *b == b' ')
    {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(digits).ok()?, 8).ok()
}

fn manifest_lines(text: &[u8], what: &str) -> Result<BTreeMap<String, String>, BagError> {
    let text =
        std::str::from_utf8(text).map_err(|_| BagError::Bag(format!("{what} is not UTF-8")))?;
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let (h, p) = line
            .split_once(' ')
            .ok_or_else(|| BagError::Bag(format!("{what}: a line is not `hash path`")))?;
        let p = p.trim_start_matches(' ');
        if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(BagError::Bag(format!("{what}: {p:?} has no SHA-256")));
        }
        if out.insert(p.to_string(), h.to_ascii_lowercase()).is_some() {
            return Err(BagError::Bag(format!("{what}: {p} is listed twice")));
        }
    }
    Ok(out)
}

/// Read a bag of at most `max_bytes` and `max_files` files: every file under the top
/// directory, `bagit.txt` present, every payload file listed in `manifest-sha256.txt` and
/// every listed file present, each with its hash; the tag files checked against
/// `tagmanifest-sha256.txt`.
pub fn read(bytes: &[u8], max_bytes: usize, max_files: usize) -> Result<Bag, BagError> {
    if bytes.len() > max_bytes {
        return Err(BagError::TooLarge(bytes.len(), max_bytes));
    }
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut at = 0usize;
    let mut n = 0usize;
    loop {
        let Some(h) = bytes.get(at..at + BLOCK) else {
            return Err(BagError::Tar(
                n,
                "the archive ends without its end blocks".into(),
            ));
        };
        if h.iter().all(|b| *b == 0) {
            // The end: a second zero block, then nothing but zeros (a tool's record padding);
            // anything appended is refused.
            let rest = &bytes[at + BLOCK..];
            if rest.len() < BLOCK || rest.iter().any(|b| *b != 0) {
                return Err(BagError::Tar(
                    n,
                    "the archive does not end with two zero blocks".into(),
                ));
            }
            break;
        }
        n += 1;
        if n > max_files {
            return Err(BagError::TooManyFiles(max_files));
        }
        let bad = |why: &str| BagError::Tar(n, why.to_string());
        let stored = parse_octal(&h[148..156]).ok_or_else(|| bad("no checksum"))?;
        let mut sum_block = [0u8; BLOCK];
        sum_block.copy_from_slice(h);
        sum_block[148..156].copy_from_slice(b"        ");
        let sum: u64 = sum_block.iter().map(|b| u64::from(*b)).sum();
        if sum != stored {
            return Err(bad("the header checksum does not match"));
        }
        if &h[257..262] != b"ustar" {
            return Err(bad("not a ustar header"));
        }
        if h[156] != b'0' && h[156] != 0 {
            return Err(bad(
                "not a regular file (links and extended headers are refused)",
            ));
        }
        if h[345..500].iter().any(|b| *b != 0) {
            return Err(bad("a name prefix is refused"));
        }
        let name_end = h[..100].iter().position(|b| *b == 0).unwrap_or(100);
        let name = std::str::from_utf8(&h[..name_end]).map_err(|_| bad("the name is not UTF-8"))?;
        let size = parse_octal(&h[124..136]).ok_or_else(|| bad("the size is not octal"))?;
        let size = usize::try_from(size).map_err(|_| bad("the size is too large"))?;
        let start = at + BLOCK;
        let end = start
            .checked_add(size)
            .filter(|e| *e <= bytes.len())
            .ok_or_else(|| bad("the file runs past the archive"))?;
        let rel = name
            .strip_prefix(BAG_DIR)
            .and_then(|r| r.strip_prefix('/'))
            .ok_or_else(|| bad(&format!("{name:?} is outside {BAG_DIR}/")))?;
        if rel.is_empty()
            || rel
                .split('/')
                .any(|c| c.is_empty() || c == "." || c == "..")
            || !rel.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(bad(&format!("{name:?} is not a plain relative path")));
        }
        if files
            .insert(rel.to_string(), bytes[start..end].to_vec())
            .is_some()
        {
            return Err(bad(&format!("{name:?} is in the archive twice")));
        }
        at = start + size.div_ceil(BLOCK) * BLOCK;
    }
    let take = |files: &mut BTreeMap<String, Vec<u8>>, p: &str| {
        files
            .remove(p)
            .ok_or_else(|| BagError::Bag(format!("{p} is missing")))
    };
    let bagit = take(&mut files, "bagit.txt")?;
    if !bagit.starts_with(b"BagIt-Version: 1.") {
        return Err(BagError::Bag("bagit.txt does not declare BagIt 1.x".into()));
    }
    let tagmanifest = take(&mut files, "tagmanifest-sha256.txt")?;
    let manifest = take(&mut files, "manifest-sha256.txt")?;
    let info = take(&mut files, "bag-info.txt")?;
    let check = |path: &str, expected: &str, b: &[u8]| {
        let got = sha256_hex(b);
        if got == expected {
            Ok(())
        } else {
            Err(BagError::Hash {
                path: path.to_string(),
                expected: expected.to_string(),
                got,
            })
        }
    };
    let tags = manifest_lines(&tagmanifest, "tagmanifest-sha256.txt")?;
    for (p, b) in [
        ("bagit.txt", &bagit),
        ("bag-info.txt", &info),
        ("manifest-sha256.txt", &manifest),
    ] {
        let h = tags
            .get(p)
            .ok_or_else(|| BagError::Bag(format!("tagmanifest-sha256.txt does not list {p}")))?;
        check(p, h, b)?;
    }
    if let Some(p) = tags
        .keys()
        .find(|p| !["bagit.txt", "bag-info.txt", "manifest-sha256.txt"].contains(&p.as_str()))
    {
        return Err(BagError::Bag(format!(
            "tagmanifest-sha256.txt lists {p}, which the package does not hold"
        )));
    }
    let listed = manifest_lines(&manifest, "manifest-sha256.txt")?;
    let mut payload = BTreeMap::new();
    for (p, b) in files {
        let Some(rel) = p.strip_prefix("data/") else {
            return Err(BagError::Bag(format!(
                "{p} is neither a tag file nor payload under data/"
            )));
        };
        let h = listed
            .get(&p)
            .ok_or_else(|| BagError::Bag(format!("{p} is not in manifest-sha256.txt")))?;
        check(&p, h, &b)?;
        payload.insert(rel.to_string(), b);
    }
    if let Some(p) = listed.keys().find(|p| {
        p.strip_prefix("data/")
            .is_none_or(|r| !payload.contains_key(r))
    }) {
        return Err(BagError::Bag(format!(
            "manifest-sha256.txt lists {p}, which the package does not hold"
        )));
    }
    let info_text =
        String::from_utf8(info).map_err(|_| BagError::Bag("bag-info.txt is not UTF-8".into()))?;
    let info = info_text
        .lines()
        .filter_map(|l| {
            l.split_once(": ")
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect();
    Ok(Bag { payload, info })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut p = BTreeMap::new();
        p.insert("package.json".to_string(), b"{\"a\":1}".to_vec());
        p.insert("epcis/ab.json".to_string(), vec![7u8; 1500]);
        write(
            &p,
            &[("Source-Organization".into(), "tracechain".into())],
            1_700_000_000,
        )
    }

    #[test]
    fn a_written_bag_reads_back() {
        let b = read(&sample(), 1 << 20, 100).unwrap();
        assert_eq!(b.payload.len(), 2);
        assert_eq!(b.payload["epcis/ab.json"], vec![7u8; 1500]);
        assert!(b.info.contains(&("Payload-Oxum".into(), "1507.2".into())));
    }

    #[test]
    fn every_flipped_byte_of_a_file_is_caught() {
        let bag = sample();
        // Flip one byte in each 512-byte block that holds file content or a header.
        let mut caught = 0;
        let mut blocks = 0;
        for at in (0..bag.len()).step_by(BLOCK) {
            if bag[at..at + BLOCK].iter().all(|b| *b == 0) {
                continue;
            }
            blocks += 1;
            let mut t = bag.clone();
            t[at + 3] ^= 0x20;
            if read(&t, 1 << 20, 100).is_err() {
                caught += 1;
            }
        }
        assert_eq!(caught, blocks, "a flipped byte in any block is refused");
    }

    #[test]
    fn hostile_archives_are_refused_without_a_panic() {
        let bag = sample();
        assert!(matches!(read(&bag, 100, 100), Err(BagError::TooLarge(..))));
        assert!(matches!(
            read(&bag, 1 << 20, 2),
            Err(BagError::TooManyFiles(2))
        ));
        for cut in [0, 100, 512, 1024, bag.len() - 1024, bag.len() - 1] {
            assert!(read(&bag[..cut], 1 << 20, 100).is_err(), "cut at {cut}");
        }
        // Bytes appended after the end; zero padding to a tar record is fine.
        let mut t = bag.clone();
        t.extend_from_slice(b"appended");
        assert!(read(&t, 1 << 20, 100).is_err());
        let mut t = bag.clone();
        t.resize(t.len().div_ceil(10_240) * 10_240, 0);
        assert!(read(&t, 1 << 20, 100).is_ok());
        // A file outside the bag, a path with `..`, a second copy of a file.
        for name in [
            "other/x",
            "tracechain-audit/../x",
            "tracechain-audit/bagit.txt",
        ] {
            let mut t = header(name, 1, 0).to_vec();
            t.extend_from_slice(&[b'x'; BLOCK]);
            t.extend_from_slice(&bag);
            assert!(read(&t, 1 << 20, 100).is_err(), "{name}");
        }
        // A payload file the manifest does not list.
        let mut t = bag[..bag.len() - 2 * BLOCK].to_vec();
        t.extend_from_slice(&header("tracechain-audit/data/extra.json", 2, 0));
        t.extend_from_slice(&[b'{'; BLOCK]);
        t.extend_from_slice(&[0u8; 2 * BLOCK]);
        assert!(
            matches!(read(&t, 1 << 20, 100), Err(BagError::Bag(m)) if m.contains("extra.json"))
        );
        // A size with a leading space (a `tar` would read another size than a lenient
        // parser): refused.
        let mut t = bag.clone();
        let mut field = [0u8; 12];
        octal(&mut field, 0);
        t[124..136].copy_from_slice(&field);
        t[124] = b' ';
        t[148..156].copy_from_slice(b"        ");
        let sum: u32 = t[..BLOCK].iter().map(|b| u32::from(*b)).sum();
        t[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        assert!(matches!(read(&t, 1 << 20, 100), Err(BagError::Tar(1, m)) if m.contains("octal")));
        // A size past the end.
        let mut t = bag.clone();
        octal(&mut t[124..136], 1 << 30);
        t[148..156].copy_from_slice(b"        ");
        let sum: u32 = t[..BLOCK].iter().map(|b| u32::from(*b)).sum();
        t[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        assert!(matches!(read(&t, 1 << 20, 100), Err(BagError::Tar(1, m)) if m.contains("past")));
    }
}
