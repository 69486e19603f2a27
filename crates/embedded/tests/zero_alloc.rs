//! A whole exchange (request written, response parsed, connection reused) allocates nothing: a
//! counting global allocator watches the client over a transport made of fixed arrays.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects,
    unsafe_code
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use credchain_embedded::{
    Capture, Client, Header, Method, Request, ResponseParser, Status, encode_request,
};
use embedded_io::{ErrorKind, ErrorType, Read, Write};

struct Counting;

thread_local! {
    static WATCHING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; the counters are thread-local cells that do not
// allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = WATCHING.try_with(|w| {
            if w.get() {
                COUNT.with(|c| c.set(c.get() + 1));
            }
        });
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    COUNT.with(|c| c.set(0));
    WATCHING.with(|w| w.set(true));
    f();
    WATCHING.with(|w| w.set(false));
    COUNT.with(Cell::get)
}

/// A connection made of fixed arrays: each reply is read in 7-byte pieces (a read never runs
/// into the next reply, as a server answers only after the request), writes are kept.
struct Fixed<'a> {
    replies: &'a [&'a [u8]],
    current: &'a [u8],
    sent: [u8; 1024],
    sent_len: usize,
}

impl ErrorType for Fixed<'_> {
    type Error = ErrorKind;
}

impl Read for Fixed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        if self.current.is_empty()
            && let Some((next, rest)) = self.replies.split_first()
        {
            self.current = next;
            self.replies = rest;
        }
        let n = buf.len().min(self.current.len()).min(7);
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = &self.current[n..];
        Ok(n)
    }
}

impl Write for Fixed<'_> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        let n = buf.len().min(self.sent.len() - self.sent_len);
        if n == 0 && !buf.is_empty() {
            return Err(ErrorKind::WriteZero);
        }
        self.sent[self.sent_len..self.sent_len + n].copy_from_slice(&buf[..n]);
        self.sent_len += n;
        Ok(n)
    }

    fn flush(&mut self) -> Result<(), ErrorKind> {
        Ok(())
    }
}

#[test]
fn an_imds_exchange_allocates_nothing() {
    const TOKEN_REPLY: &[u8] = b"HTTP/1.1 200 OK\r\nx-aws-ec2-metadata-token-ttl-seconds: 21600\r\nContent-Length: 5\r\n\r\ntoken";
    const ROLE_REPLY: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nmy-\r\n4\r\nrole\r\n0\r\nT: 1\r\n\r\n";
    let mut transport = Fixed {
        replies: &[TOKEN_REPLY, ROLE_REPLY],
        current: &[],
        sent: [0; 1024],
        sent_len: 0,
    };
    let mut token = [0u8; 5];
    let mut role = [0u8; 7];
    let n = allocations(|| {
        let mut client = Client::new(&mut transport);
        let mut buf = [0u8; 512];
        let ttl = [Header::new("x-aws-ec2-metadata-token-ttl-seconds", "21600")];
        let keep = ["x-aws-ec2-metadata-token-ttl-seconds"];
        let put = Request::put("169.254.169.254", "/latest/api/token")
            .headers(&ttl)
            .keep(&keep);
        let r = client.send(&put, &mut buf).unwrap();
        assert_eq!(
            r.header("x-aws-ec2-metadata-token-ttl-seconds"),
            Some(&b"21600"[..])
        );
        token.copy_from_slice(r.body());

        let auth = [Header::new("x-aws-ec2-metadata-token", "token")];
        let get = Request::get(
            "169.254.169.254",
            "/latest/meta-data/iam/security-credentials/",
        )
        .headers(&auth);
        let r = client.send(&get, &mut buf).unwrap();
        role.copy_from_slice(r.body());

        // The sans-IO pieces on their own, too.
        let mut out = [0u8; 256];
        encode_request(&get, &mut out).unwrap();
        let mut p = ResponseParser::new(&mut buf, Method::Get).capture(Capture::All);
        for b in ROLE_REPLY {
            let _ = p.feed(core::slice::from_ref(b)).unwrap();
        }
        assert_eq!(p.response().unwrap().body(), b"my-role");
        assert!(matches!(p.feed(b"x"), Ok(Status::Complete { consumed: 0 })));
    });
    assert_eq!(&token, b"token");
    assert_eq!(&role, b"my-role");
    assert!(transport.sent_len > 0);
    assert_eq!(n, 0, "allocations during the exchange");
}

#[test]
fn the_counter_sees_allocations() {
    let n = allocations(|| {
        std::hint::black_box(vec![1u8; 3]);
    });
    assert_eq!(n, 1);
}
