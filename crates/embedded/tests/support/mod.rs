//! Helpers shared by the integration tests: scripted in-memory transports, a std TCP adapter,
//! random splitting, and a driver that runs the parser over any chunking.

#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;

use credchain_embedded::{
    Capture, Framing, Limits, Method, ParseError, ResponseParser, Status, Version,
};
use embedded_io::{ErrorKind, ErrorType, Read, Write};

/// A small deterministic generator (xorshift64*), so failures replay from their seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `input` cut at random places into pieces of 1 to `max` bytes (with some empty pieces too).
pub fn random_split(input: &[u8], seed: u64, max: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        if rng.below(8) == 0 {
            out.push(Vec::new());
        }
        let n = 1 + rng.below(max.min(rest.len()));
        out.push(rest[..n].to_vec());
        rest = &rest[n..];
    }
    out
}

/// What a parse produced, owned, so results from different chunkings can be compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub version: Version,
    pub status: u16,
    pub reason: Vec<u8>,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    pub keep_alive: bool,
    pub content_length: Option<u64>,
    pub framing: Framing,
    /// Bytes of the input after the end of the response.
    pub leftover: usize,
}

/// Options for [`parse_pieces`].
#[derive(Debug, Clone, Copy)]
pub struct Opts<'n> {
    pub method: Method,
    pub capture: Capture<'n>,
    pub limits: Limits,
    pub buf_len: usize,
}

impl Default for Opts<'_> {
    fn default() -> Self {
        Opts {
            method: Method::Get,
            capture: Capture::All,
            limits: Limits::DEFAULT,
            buf_len: 16 * 1024,
        }
    }
}

/// Feeds `pieces` to a fresh parser, then the end of the stream.
pub fn parse_pieces(pieces: &[Vec<u8>], opts: Opts<'_>) -> Result<Parsed, ParseError> {
    let mut buf = vec![0u8; opts.buf_len];
    let mut p = ResponseParser::new(&mut buf, opts.method)
        .limits(opts.limits)
        .capture(opts.capture);
    let mut leftover = 0;
    let mut done = false;
    for piece in pieces {
        if done {
            leftover += piece.len();
            continue;
        }
        match p.feed(piece)? {
            Status::Partial => {}
            Status::Complete { consumed } => {
                assert!(consumed <= piece.len());
                leftover += piece.len() - consumed;
                done = true;
            }
        }
    }
    if !done {
        p.finish()?;
    }
    let r = p.into_response().expect("complete");
    Ok(Parsed {
        version: r.version(),
        status: r.status(),
        reason: r.reason().to_vec(),
        headers: r
            .headers()
            .map(|(n, v)| (n.to_string(), v.to_vec()))
            .collect(),
        body: r.body().to_vec(),
        keep_alive: r.keep_alive(),
        content_length: r.content_length(),
        framing: r.framing(),
        leftover,
    })
}

/// Parses `input` whole, one byte at a time, and in `splits` random chunkings; every run must
/// give the same result (errors compared by kind). Returns the whole-input result, or a
/// description of the disagreement.
pub fn parse_every_way(
    input: &[u8],
    opts: Opts<'_>,
    splits: u64,
) -> Result<Result<Parsed, ParseError>, String> {
    let whole = parse_pieces(&[input.to_vec()], opts);
    let bytes: Vec<Vec<u8>> = input.iter().map(|&b| vec![b]).collect();
    let mut runs = vec![("bytewise".to_string(), parse_pieces(&bytes, opts))];
    for seed in 0..splits {
        let pieces = random_split(input, seed, 1 + (seed as usize % 17) * 3);
        runs.push((format!("split seed {seed}"), parse_pieces(&pieces, opts)));
    }
    for (name, run) in runs {
        let same = match (&whole, &run) {
            (Ok(a), Ok(b)) => a == b,
            (Err(a), Err(b)) => a.kind() == b.kind(),
            _ => false,
        };
        if !same {
            return Err(format!("{name}: {run:?} but whole input gave {whole:?}"));
        }
    }
    Ok(whole)
}

/// One scripted step of an in-memory peer's answer to `read`.
#[derive(Debug, Clone)]
pub enum ReadStep {
    /// Bytes delivered by exactly one read (or several, if the reader's buffer is smaller).
    Data(Vec<u8>),
    /// A read that fails with this kind.
    Fail(ErrorKind),
    /// End of stream (also what an empty script gives).
    Eof,
}

/// How the in-memory peer answers `write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Accepts everything.
    All,
    /// Accepts at most this many bytes per call.
    AtMost(usize),
    /// Fails every write with this kind.
    Fail(ErrorKind),
    /// Returns `Ok(0)`, which the traits forbid.
    Zero,
}

/// An in-memory connection: reads follow a script, writes are recorded.
#[derive(Debug)]
pub struct Scripted {
    pub reads: VecDeque<ReadStep>,
    pub written: Vec<u8>,
    pub write_mode: WriteMode,
    pub write_calls: usize,
    pub read_calls: usize,
}

impl Scripted {
    pub fn new(steps: impl IntoIterator<Item = ReadStep>) -> Self {
        Scripted {
            reads: steps.into_iter().collect(),
            written: Vec::new(),
            write_mode: WriteMode::All,
            write_calls: 0,
            read_calls: 0,
        }
    }

    /// A peer whose replies arrive as `pieces`, then end of stream.
    pub fn replying(pieces: impl IntoIterator<Item = Vec<u8>>) -> Self {
        Scripted::new(pieces.into_iter().map(ReadStep::Data))
    }
}

impl ErrorType for Scripted {
    type Error = ErrorKind;
}

impl Read for Scripted {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        self.read_calls += 1;
        match self.reads.pop_front() {
            None | Some(ReadStep::Eof) => Ok(0),
            Some(ReadStep::Fail(kind)) => Err(kind),
            Some(ReadStep::Data(data)) => {
                let n = data.len().min(buf.len());
                buf[..n].copy_from_slice(&data[..n]);
                if n < data.len() {
                    self.reads.push_front(ReadStep::Data(data[n..].to_vec()));
                }
                if n == 0 {
                    // An empty data step is skipped: a blocking read never returns 0 but at
                    // the end of the stream.
                    return self.read(buf);
                }
                Ok(n)
            }
        }
    }
}

impl Write for Scripted {
    fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        self.write_calls += 1;
        match self.write_mode {
            WriteMode::All => {
                self.written.extend_from_slice(buf);
                Ok(buf.len())
            }
            WriteMode::AtMost(n) => {
                let n = n.min(buf.len());
                self.written.extend_from_slice(&buf[..n]);
                Ok(n)
            }
            WriteMode::Fail(kind) => Err(kind),
            WriteMode::Zero => Ok(0),
        }
    }

    fn flush(&mut self) -> Result<(), ErrorKind> {
        Ok(())
    }
}

/// `std::net::TcpStream` behind the embedded-io traits, as a firmware's socket would be.
///
/// An expired `set_read_timeout` surfaces on Unix as `WouldBlock`; it is reported as
/// [`ErrorKind::TimedOut`], which is the contract the client documents.
#[derive(Debug)]
pub struct Tcp(pub TcpStream);

pub fn io_kind(e: &std::io::Error) -> ErrorKind {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::WouldBlock | K::TimedOut => ErrorKind::TimedOut,
        K::ConnectionReset => ErrorKind::ConnectionReset,
        K::ConnectionAborted => ErrorKind::ConnectionAborted,
        K::ConnectionRefused => ErrorKind::ConnectionRefused,
        K::NotConnected => ErrorKind::NotConnected,
        K::BrokenPipe => ErrorKind::BrokenPipe,
        K::Interrupted => ErrorKind::Interrupted,
        K::WriteZero => ErrorKind::WriteZero,
        _ => ErrorKind::Other,
    }
}

impl ErrorType for Tcp {
    type Error = ErrorKind;
}

impl Read for Tcp {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        self.0.read(buf).map_err(|e| io_kind(&e))
    }
}

impl Write for Tcp {
    fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        self.0.write(buf).map_err(|e| io_kind(&e))
    }

    fn flush(&mut self) -> Result<(), ErrorKind> {
        self.0.flush().map_err(|e| io_kind(&e))
    }
}

/// Whether the Python-backed oracle tests should be skipped (same switch as the workspace's
/// other botocore-backed tests).
pub fn skip_python() -> bool {
    std::env::var("CREDCHAIN_SKIP_BOTOCORE").is_ok_and(|v| v == "1")
}
