//! Finding repeated names without a heap, in time that does not grow with the square of the
//! file.
//!
//! botocore rejects a file in which a section or an option (within one section) appears twice
//! (spec §3.2, strict mode); the cross-SDK dialect merges repeated sections instead, and the
//! lookups want to know whether any repeat exists. Both need "which items equal an earlier one",
//! for files of any size, with no allocation.
//!
//! **Method.** Every item (a section name, an option name, …) has a 64-bit hash and the byte
//! offset of the line that defines it. The low 32 bits of the hash pick the item's *class*, the
//! high 32 bits are its *fingerprint*. One pass over the input collects the fingerprints of one
//! class into the caller's scratch slice, two per `u64`, and sorts them in place (heapsort);
//! equal neighbours are candidates. Only if there are any, a second pass over the class finds the
//! items behind each candidate fingerprint and compares their text exactly ([`Items::same`]), so
//! a hash collision costs a comparison, never a wrong answer.
//!
//! When there are more items than the scratch holds, the items are split into `P` classes and
//! each class gets its own pass. Equal items always share a class. If a class turns out larger
//! than the scratch, it is first compacted — sorted, with each fingerprint kept at most twice —
//! and only split in two (each half retried) when that frees less than a quarter of it. Equal
//! items share every hash bit, so no split could ever separate them; compaction is what keeps
//! thousands of equal names (a valid SDK file; an error for botocore, found the same way) in one
//! pass.
//!
//! **Cost.** With `n` items, a scratch of `s` entries (room for `2s` fingerprints) and an input
//! of `b` bytes: one pass and `O(n log n)` when `n ≤ 2s`; otherwise about `n / (1.75 s)` passes,
//! each `O(b + s log s)`, plus one pass per class that holds a repeat. The passes are what a
//! fixed memory budget costs: a bigger scratch (see `ProfileFile::parse_with_scratch`) means
//! fewer passes. Only inputs built to make hashes collide can make the confirmation step
//! quadratic, and never unbounded.

/// A 64-bit streaming hash (FxHash's word step, finished with MurmurHash3's `fmix64` so that the
/// low bits used to pick a class are well mixed). Feeding the same bytes in any split gives the
/// same hash.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hasher {
    state: u64,
    word: u64,
    filled: u32,
}

const K: u64 = 0x517c_c1b7_2722_0a95;

impl Hasher {
    /// A hasher whose input starts with `tag` (keeps kinds of item apart).
    pub(crate) fn new(tag: u8) -> Self {
        // The tag seeds the state (rather than being fed as a byte) so that the bytes that
        // follow start word-aligned.
        Hasher {
            state: u64::from(tag).wrapping_mul(K),
            word: 0,
            filled: 0,
        }
    }

    fn mix(&mut self, word: u64) {
        self.state = (self.state.rotate_left(5) ^ word).wrapping_mul(K);
    }

    /// Feeds one byte.
    pub(crate) fn byte(&mut self, b: u8) {
        self.word |= u64::from(b) << (self.filled.saturating_mul(8) & 63);
        self.filled = self.filled.saturating_add(1);
        if self.filled == 8 {
            let w = self.word;
            self.mix(w);
            self.word = 0;
            self.filled = 0;
        }
    }

    /// Feeds bytes.
    pub(crate) fn bytes(&mut self, mut b: &[u8]) {
        while self.filled != 0 {
            let Some((first, rest)) = b.split_first() else {
                return;
            };
            self.byte(*first);
            b = rest;
        }
        let mut chunks = b.chunks_exact(8);
        for chunk in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(w));
        }
        for x in chunks.remainder() {
            self.byte(*x);
        }
    }

    /// The hash of `tag` and `b` lowercased in ASCII (what feeding the lowercased bytes to
    /// [`Hasher::new`]`(tag)` gives), or `None` when `b` is not ASCII. A word at a time, with
    /// no separate pass to check for ASCII.
    #[inline]
    pub(crate) fn ascii_lowercase_hash(tag: u8, b: &[u8]) -> Option<u64> {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGHS: u64 = 0x8080_8080_8080_8080;
        let lower = |w: u64| {
            let upper = w.wrapping_add(ONES.wrapping_mul(0x3f))
                & !w.wrapping_add(ONES.wrapping_mul(0x25))
                & HIGHS;
            w | (upper >> 2)
        };
        let mut h = Hasher::new(tag);
        let mut chunks = b.chunks_exact(8);
        for chunk in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            let w = u64::from_le_bytes(w);
            if w & HIGHS != 0 {
                return None;
            }
            h.mix(lower(w));
        }
        let rest = chunks.remainder();
        let w = tail_word(b, rest.len(), 0);
        if w & HIGHS != 0 {
            return None;
        }
        h.word = lower(w);
        h.filled = u32::try_from(rest.len()).unwrap_or(0);
        Some(h.finish())
    }

    /// Feeds the UTF-8 encoding of `c`.
    pub(crate) fn char(&mut self, c: char) {
        let mut buf = [0u8; 4];
        self.bytes(c.encode_utf8(&mut buf).as_bytes());
    }

    /// The hash.
    pub(crate) fn finish(mut self) -> u64 {
        // The length of the last partial word keeps "a" and "a\0" apart.
        let last = self.word ^ (u64::from(self.filled) << 60);
        self.mix(last);
        let mut x = self.state;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^= x >> 33;
        x
    }
}

/// The last `n` (< 8) bytes of `b` as a little-endian word, the bytes above them set to `pad`.
/// When `b` is at least 8 bytes long this is one load and a shift; no `memcpy` call.
#[inline]
pub(crate) fn tail_word(b: &[u8], n: usize, pad: u8) -> u64 {
    let pad_word = 0x0101_0101_0101_0101u64.wrapping_mul(u64::from(pad));
    if n == 0 {
        return pad_word;
    }
    let bits = (n as u32).wrapping_mul(8);
    let high = pad_word.checked_shl(bits).unwrap_or(0);
    if let Some(last) = b.len().checked_sub(8).and_then(|from| b.get(from..)) {
        let mut w = [0u8; 8];
        w.copy_from_slice(last);
        return u64::from_le_bytes(w)
            .checked_shr(64u32.wrapping_sub(bits))
            .unwrap_or(0)
            | high;
    }
    let from = b.len().saturating_sub(n);
    let mut w = 0u64;
    for (i, x) in b.get(from..).unwrap_or(&[]).iter().enumerate() {
        w |= u64::from(*x) << ((i as u32 & 7).wrapping_mul(8));
    }
    w | high
}

/// The names of a small file, kept while it is read (no hashing until asked), so that the
/// common case — a few dozen sections, none repeated — is settled without another pass over
/// the file or the scratch buffer: hash them, sort the hashes, look for equal neighbours.
pub(crate) struct SmallNames<'a> {
    items: [(u8, &'a str); SMALL_NAMES],
    len: usize,
    overflow: bool,
}

/// How many names [`SmallNames`] keeps.
const SMALL_NAMES: usize = 64;

impl<'a> SmallNames<'a> {
    pub(crate) fn new() -> Self {
        SmallNames {
            items: [(0, ""); SMALL_NAMES],
            len: 0,
            overflow: false,
        }
    }

    /// Keeps a name of kind `tag`.
    #[inline]
    pub(crate) fn push(&mut self, tag: u8, name: &'a str) {
        match self.items.get_mut(self.len) {
            Some(slot) => {
                *slot = (tag, name);
                self.len = self.len.saturating_add(1);
            }
            None => self.overflow = true,
        }
    }

    /// `Some(true)` when the names are proved distinct: all kept, and their hashes (`hash`
    /// must give equal names equal hashes) differ. `None` when some were not kept, or two
    /// hashes are equal: then a full search decides.
    pub(crate) fn distinct(&self, hash: impl Fn(u8, &str) -> u64) -> Option<bool> {
        if self.overflow {
            return None;
        }
        let mut hashes = [0u64; SMALL_NAMES];
        let kept = self.items.get(..self.len).unwrap_or(&[]);
        for (h, (tag, name)) in hashes.iter_mut().zip(kept) {
            *h = hash(*tag, name);
        }
        let hashes = hashes.get_mut(..self.len).unwrap_or(&mut []);
        hashes.sort_unstable();
        if hashes.windows(2).any(|w| w.first() == w.get(1)) {
            return None;
        }
        Some(true)
    }
}

/// A collection of items to search for repeats, which can be walked again and again.
pub(crate) trait Items {
    /// Calls `f(hash, offset)` for every item, in input order. Offsets identify items and must
    /// increase.
    fn each(&self, f: &mut dyn FnMut(u64, u32));
    /// Whether the items defined at offsets `a` and `b` are equal.
    fn same(&self, a: u32, b: u32) -> bool;
}

/// What to do after a repeat was reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Stop,
}

/// The working memory of the searches: the caller's, or 8 KiB of stack set up only when a
/// search needs it (most files need none, and zeroing it would cost more than their parse).
pub(crate) enum Scratch<'s> {
    /// The caller's buffer (at least [`MIN_SCRATCH`] entries).
    Given(&'s mut [u64]),
    /// [`super::DEFAULT_SCRATCH`] entries on the stack, for the time of each search.
    Default,
}

impl Scratch<'_> {
    /// Runs `f` with the buffer.
    pub(crate) fn with<R>(&mut self, f: impl FnOnce(&mut [u64]) -> R) -> R {
        match self {
            Scratch::Given(s) => f(s),
            Scratch::Default => on_default_stack(f),
        }
    }
}

#[inline(never)]
fn on_default_stack<R>(f: impl FnOnce(&mut [u64]) -> R) -> R {
    let mut buf = [0u64; super::DEFAULT_SCRATCH];
    f(&mut buf)
}

/// The smallest usable scratch: below this, a pass would hold too few items to be worth it.
pub(crate) const MIN_SCRATCH: usize = 16;

const NO_OFFSET: u64 = 0xffff_ffff;

/// The class of a hash among `classes` (`classes ≤ 2^32`): its low 32 bits scaled to the range
/// (Lemire's multiply-shift). Doubling `classes` splits class `c` into `2c` and `2c + 1`.
fn class_of(hash: u64, classes: u64) -> u64 {
    ((hash & 0xffff_ffff).wrapping_mul(classes)) >> 32
}

/// The fingerprint kept in the scratch: the hash's upper 32 bits, independent of its class.
fn fingerprint(hash: u64) -> u32 {
    (hash >> 32) as u32
}

/// The scratch seen as an array of `u32` fingerprints, two per `u64` (no `unsafe` needed).
struct Fingerprints<'s> {
    words: &'s mut [u64],
    len: usize,
}

impl Fingerprints<'_> {
    fn capacity(&self) -> usize {
        self.words.len().saturating_mul(2)
    }

    fn get(&self, i: usize) -> u32 {
        let word = self.words.get(i / 2).copied().unwrap_or(0);
        let shift = if i & 1 == 1 { 32 } else { 0 };
        (word >> shift) as u32
    }

    fn set(&mut self, i: usize, v: u32) {
        if let Some(word) = self.words.get_mut(i / 2) {
            let shift = if i & 1 == 1 { 32 } else { 0 };
            *word = (*word & !(0xffff_ffff << shift)) | (u64::from(v) << shift);
        }
    }

    fn push(&mut self, v: u32) -> bool {
        if self.len >= self.capacity() {
            return false;
        }
        self.set(self.len, v);
        self.len = self.len.saturating_add(1);
        true
    }

    /// Sorts the fingerprints and keeps at most two of each value (enough to mark it a
    /// candidate). Returns whether that freed at least a quarter of the buffer: then each
    /// compaction, `O(s log s)`, pays for `s / 4` more fingerprints, and a class of `n`
    /// items costs `O(n log s)` however many are equal.
    fn compact(&mut self) -> bool {
        self.sort();
        let n = self.len;
        let mut kept = 0usize;
        let mut i = 0usize;
        while i < n {
            let fp = self.get(i);
            let mut j = i.saturating_add(1);
            while j < n && self.get(j) == fp {
                j = j.saturating_add(1);
            }
            for _ in 0..j.saturating_sub(i).min(2) {
                self.set(kept, fp);
                kept = kept.saturating_add(1);
            }
            i = j;
        }
        self.len = kept;
        kept <= self.capacity().saturating_sub(self.capacity() / 4)
    }

    /// Heapsort (in place, `O(n log n)`, no recursion).
    fn sort(&mut self) {
        let n = self.len;
        let mut start = n / 2;
        while start > 0 {
            start = start.saturating_sub(1);
            self.sift_down(start, n);
        }
        let mut end = n;
        while end > 1 {
            end = end.saturating_sub(1);
            let (a, b) = (self.get(0), self.get(end));
            self.set(0, b);
            self.set(end, a);
            self.sift_down(0, end);
        }
    }

    fn sift_down(&mut self, mut root: usize, end: usize) {
        loop {
            let left = root.saturating_mul(2).saturating_add(1);
            if left >= end {
                return;
            }
            let right = left.saturating_add(1);
            let child = if right < end && self.get(right) > self.get(left) {
                right
            } else {
                left
            };
            if self.get(child) <= self.get(root) {
                return;
            }
            let (a, b) = (self.get(root), self.get(child));
            self.set(root, b);
            self.set(child, a);
            root = child;
        }
    }
}

/// Reports every item equal to an earlier one: `on_repeat(first, repeat)` with the offsets of
/// the earliest equal item and of the repeat. `count` is the number of items `each` yields
/// (it sets the number of classes). `scratch` should hold at least [`MIN_SCRATCH`] entries.
///
/// Repeats are reported class by class, so not in input order; a caller that wants the first
/// repeat in the file keeps the smallest offset.
///
/// Each class of items is collected as 32-bit fingerprints, two per scratch entry, and sorted;
/// equal neighbours are candidates, and one more pass over the class finds the items behind
/// them and compares their text. Without repeats (the common case) that pass never happens.
pub(crate) fn find_repeats(
    items: &dyn Items,
    count: usize,
    scratch: &mut [u64],
    on_repeat: &mut dyn FnMut(u32, u32) -> Flow,
) {
    if count < 2 {
        return;
    }
    let cap = scratch.len().saturating_mul(2);
    if scratch.len() < MIN_SCRATCH {
        // Not reachable through the public API (which never passes less); stay correct.
        let _ = slow_class(items, 1, 0, None, on_repeat);
        return;
    }
    // Aim for classes seven eighths full: with a good hash a class of 2048 rarely strays more
    // than a few standard deviations (~45) from its mean, so overflows (and their splits) are rare.
    let per_class = cap.saturating_sub(cap / 8).max(1);
    let classes = u64::try_from(count.div_ceil(per_class).max(1))
        .unwrap_or(u64::MAX)
        .min(1 << 31);
    // Classes still to do: (number of classes, class). A split doubles the number of classes,
    // so the depth is bounded by the 32 bits `class_of` uses.
    let mut stack: heapless::Vec<(u64, u64), 40> = heapless::Vec::new();
    for first in 0..classes {
        let _ = stack.push((classes, first));
        while let Some((m, c)) = stack.pop() {
            match one_class(items, m, c, scratch, on_repeat) {
                Pass::Done => {}
                Pass::Stop => return,
                Pass::Overflow => {
                    let m2 = m.saturating_mul(2);
                    if m2 <= (1 << 32) && stack.len().saturating_add(2) <= stack.capacity() {
                        let _ = stack.push((m2, c.saturating_mul(2).saturating_add(1)));
                        let _ = stack.push((m2, c.saturating_mul(2)));
                    } else if slow_class(items, m, c, None, on_repeat) == Flow::Stop {
                        // More items share 32 hash bits than the scratch holds: the hashes
                        // collide on purpose. Compare that class pairwise instead.
                        return;
                    }
                }
            }
        }
    }
}

enum Pass {
    Done,
    Stop,
    Overflow,
}

fn one_class(
    items: &dyn Items,
    m: u64,
    c: u64,
    scratch: &mut [u64],
    on_repeat: &mut dyn FnMut(u32, u32) -> Flow,
) -> Pass {
    let mut fps = Fingerprints {
        words: scratch,
        len: 0,
    };
    let mut overflow = false;
    items.each(&mut |hash, _| {
        if overflow || class_of(hash, m) != c {
            return;
        }
        let fp = fingerprint(hash);
        // A full buffer is first compacted: equal fingerprints (equal names, however many)
        // need only two slots to be found. Only when that frees too little (many different
        // fingerprints) is the class split.
        let kept = fps.push(fp) || (fps.compact() && fps.push(fp));
        if !kept {
            overflow = true;
        }
    });
    if overflow {
        return Pass::Overflow;
    }
    fps.sort();
    // Move each fingerprint that occurs more than once to the front, as a `u64` entry:
    // fingerprint above, offset of its first item below (unknown yet). Entry `j` is written
    // after at least `2j + 2` fingerprints were read, so it never overwrites one still unread.
    let n = fps.len;
    let mut candidates = 0usize;
    let mut i = 0usize;
    while i < n {
        let fp = fps.get(i);
        let mut j = i.saturating_add(1);
        while j < n && fps.get(j) == fp {
            j = j.saturating_add(1);
        }
        if j.saturating_sub(i) > 1 {
            if let Some(slot) = fps.words.get_mut(candidates) {
                *slot = (u64::from(fp) << 32) | NO_OFFSET;
            }
            candidates = candidates.saturating_add(1);
        }
        i = j;
    }
    if candidates == 0 {
        return Pass::Done;
    }
    let Some(cands) = fps.words.get_mut(..candidates) else {
        return Pass::Done;
    };
    // One more pass over the class: the first item with each candidate fingerprint is
    // remembered, later ones are compared with it.
    let mut flow = Flow::Continue;
    // Fingerprints shared by different items (a few per million pairs of items in a class).
    let mut collided: heapless::Vec<u32, 16> = heapless::Vec::new();
    let mut too_many_collisions = false;
    items.each(&mut |hash, offset| {
        if flow == Flow::Stop || class_of(hash, m) != c {
            return;
        }
        let fp = fingerprint(hash);
        let Ok(k) = cands.binary_search_by(|e| ((*e >> 32) as u32).cmp(&fp)) else {
            return;
        };
        let Some(entry) = cands.get_mut(k) else {
            return;
        };
        let first = *entry & NO_OFFSET;
        if first == NO_OFFSET {
            *entry = (*entry & !NO_OFFSET) | u64::from(offset);
        } else if items.same(first as u32, offset) {
            flow = on_repeat(first as u32, offset);
        } else if !collided.contains(&fp) && collided.push(fp).is_err() {
            // Two different items share a fingerprint; a repeat of the second would be missed
            // here, so that fingerprint gets a pairwise look below.
            too_many_collisions = true;
        }
    });
    if flow == Flow::Stop {
        return Pass::Stop;
    }
    if too_many_collisions {
        // Only hashes made to collide get here.
        if slow_class(items, m, c, None, on_repeat) == Flow::Stop {
            return Pass::Stop;
        }
        return Pass::Done;
    }
    for fp in collided {
        if slow_class(items, m, c, Some(fp), on_repeat) == Flow::Stop {
            return Pass::Stop;
        }
    }
    Pass::Done
}

/// The fallback for colliding fingerprints: compares the items of a class (with fingerprint
/// `only`, if given) pairwise, walking the input once more per such item — a handful of passes
/// for one fingerprint. Repeats already reported by the fast path may be reported again.
fn slow_class(
    items: &dyn Items,
    m: u64,
    c: u64,
    only: Option<u32>,
    on_repeat: &mut dyn FnMut(u32, u32) -> Flow,
) -> Flow {
    let mut flow = Flow::Continue;
    let wanted = |hash: u64| class_of(hash, m) == c && only.is_none_or(|f| f == fingerprint(hash));
    items.each(&mut |hash, later| {
        if flow == Flow::Stop || !wanted(hash) {
            return;
        }
        let mut first = None;
        items.each(&mut |h2, earlier| {
            if first.is_none() && earlier < later && h2 == hash && items.same(earlier, later) {
                first = Some(earlier);
            }
        });
        if let Some(first) = first {
            flow = on_repeat(first, later);
        }
    });
    flow
}

/// Reports the repeats among entries packed as (upper 32 hash bits, 32-bit offset) and sorted:
/// within each run of equal hash bits, each entry is compared with the earlier ones of its run
/// until one is the same item. Used for the options of one section, which fit in the scratch.
pub(crate) fn report_sorted(
    items: &dyn Items,
    entries: &[u64],
    on_repeat: &mut dyn FnMut(u32, u32) -> Flow,
) {
    let offset_of = |e: u64| (e & NO_OFFSET) as u32;
    let mut start = 0usize;
    while let Some(&head) = entries.get(start) {
        let run_len = entries
            .get(start..)
            .unwrap_or(&[])
            .iter()
            .take_while(|e| (**e >> 32) == (head >> 32))
            .count()
            .max(1);
        let run = entries
            .get(start..start.saturating_add(run_len))
            .unwrap_or(&[]);
        for (j, later) in run.iter().enumerate().skip(1) {
            let later = offset_of(*later);
            let earlier = run
                .get(..j)
                .unwrap_or(&[])
                .iter()
                .map(|e| offset_of(*e))
                .find(|e| items.same(*e, later));
            if let Some(first) = earlier
                && on_repeat(first, later) == Flow::Stop
            {
                return;
            }
        }
        start = start.saturating_add(run_len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_lowercase_hash_is_the_hash_of_the_lowercased_bytes() {
        let text = b"AWS_Access_Key_ID-region.Sso@x:y+Z/%[]`{}~ 0123456789";
        for start in 0..8 {
            for end in start..text.len() {
                let b = &text[start..end];
                let mut h = Hasher::new(7);
                for x in b {
                    h.byte(x.to_ascii_lowercase());
                }
                assert_eq!(
                    Hasher::ascii_lowercase_hash(7, b),
                    Some(h.finish()),
                    "{b:?}"
                );
            }
        }
        assert_eq!(Hasher::ascii_lowercase_hash(7, "Ké".as_bytes()), None);
        assert_eq!(
            Hasher::ascii_lowercase_hash(7, "12345678é".as_bytes()),
            None
        );
    }

    #[test]
    fn tail_words() {
        assert_eq!(tail_word(b"", 0, 0x61), 0x6161_6161_6161_6161);
        assert_eq!(tail_word(b"abc", 3, 0), 0x0063_6261);
        assert_eq!(tail_word(b"abc", 2, 0xff), 0xffff_ffff_ffff_6362);
        assert_eq!(tail_word(b"0123456789", 2, 0), 0x3938);
        assert_eq!(tail_word(b"01234567", 0, 0), 0);
    }

    #[test]
    fn small_names_prove_distinct_names_only() {
        let hash = |tag: u8, name: &str| {
            let mut h = Hasher::new(tag);
            h.bytes(name.as_bytes());
            h.finish()
        };
        let mut names = SmallNames::new();
        names.push(1, "b");
        names.push(1, "a");
        names.push(2, "a");
        assert_eq!(names.distinct(hash), Some(true));
        names.push(1, "b");
        assert_eq!(names.distinct(hash), None);
        let mut many = SmallNames::new();
        for _ in 0..=SMALL_NAMES {
            many.push(1, "x");
        }
        assert_eq!(many.distinct(hash), None);
    }

    /// Items are the words of a space-separated list; offsets are word indexes.
    struct Words<'a>(&'a str);

    impl Items for Words<'_> {
        fn each(&self, f: &mut dyn FnMut(u64, u32)) {
            for (i, w) in self.0.split(' ').enumerate() {
                let mut h = Hasher::new(0);
                h.bytes(w.as_bytes());
                f(h.finish(), i as u32);
            }
        }
        fn same(&self, a: u32, b: u32) -> bool {
            self.0.split(' ').nth(a as usize) == self.0.split(' ').nth(b as usize)
        }
    }

    /// Items whose hash is constant: every pair collides.
    struct Colliding<'a>(&'a str);

    impl Items for Colliding<'_> {
        fn each(&self, f: &mut dyn FnMut(u64, u32)) {
            for (i, _) in self.0.split(' ').enumerate() {
                f(42, i as u32);
            }
        }
        fn same(&self, a: u32, b: u32) -> bool {
            Words(self.0).same(a, b)
        }
    }

    fn repeats(
        items: &dyn Items,
        count: usize,
        scratch: &mut [u64],
    ) -> heapless::Vec<(u32, u32), 64> {
        let mut out = heapless::Vec::new();
        find_repeats(items, count, scratch, &mut |a, b| {
            if !out.contains(&(a, b)) {
                out.push((a, b)).unwrap();
            }
            Flow::Continue
        });
        // A repeat may be reported twice (by the fast path and the pairwise fallback).
        out.sort_unstable();
        out
    }

    #[test]
    fn hash_does_not_depend_on_how_bytes_are_fed() {
        let text = b"profile some-long-name-here";
        let mut a = Hasher::new(1);
        a.bytes(text);
        let mut b = Hasher::new(1);
        for x in text {
            b.byte(*x);
        }
        let mut c = Hasher::new(1);
        c.bytes(&text[..3]);
        c.bytes(&text[3..]);
        assert_eq!(a.finish(), b.finish());
        assert_eq!(a.finish(), c.finish());
        let mut d = Hasher::new(2);
        d.bytes(text);
        assert_ne!(a.finish(), d.finish());
        let (mut e, mut f) = (Hasher::new(0), Hasher::new(0));
        e.bytes(b"a");
        f.bytes(b"a\0");
        assert_ne!(e.finish(), f.finish());
    }

    #[test]
    fn finds_repeats_in_one_pass_and_in_many() {
        let words = "a b c a d e b a";
        let expected = [(0, 3), (0, 7), (1, 6)];
        assert_eq!(repeats(&Words(words), 8, &mut [0; 64]), expected);
        // 200 distinct words and one repeat at both ends, through a scratch of 16: many classes.
        let mut text: heapless::String<2048> = heapless::String::new();
        for i in 0..200 {
            if i > 0 {
                text.push(' ').unwrap();
            }
            core::fmt::Write::write_fmt(&mut text, format_args!("w{i}")).unwrap();
        }
        text.push_str(" w0 w199").unwrap();
        assert_eq!(
            repeats(&Words(&text), 202, &mut [0; 16]),
            [(0, 200), (199, 201)]
        );
        // A wrong count only changes the number of passes.
        assert_eq!(
            repeats(&Words(&text), 3, &mut [0; 16]),
            [(0, 200), (199, 201)]
        );
    }

    #[test]
    fn colliding_hashes_are_confirmed_exactly() {
        assert_eq!(repeats(&Colliding("x y z y"), 4, &mut [0; 16]), [(1, 3)]);
        // More colliding items than the scratch holds: the pairwise fallback.
        let text = "a b c d e f g h i j k l m n o p q r s t u v w x y z a";
        assert_eq!(repeats(&Colliding(text), 27, &mut [0; 16]), [(0, 26)]);
    }

    /// `n` items of which every `stride`-th is the word `same` and the others are distinct,
    /// counting the passes over them and the exact comparisons.
    struct Counted {
        n: u32,
        stride: u32,
        passes: core::cell::Cell<usize>,
        comparisons: core::cell::Cell<usize>,
    }

    impl Counted {
        fn new(n: u32, stride: u32) -> Self {
            Counted {
                n,
                stride,
                passes: core::cell::Cell::new(0),
                comparisons: core::cell::Cell::new(0),
            }
        }

        /// The item's identity: 0 for the repeated word, `i + 1` otherwise.
        fn id(&self, i: u32) -> u32 {
            if i.is_multiple_of(self.stride) {
                0
            } else {
                i + 1
            }
        }
    }

    impl Items for Counted {
        fn each(&self, f: &mut dyn FnMut(u64, u32)) {
            self.passes.set(self.passes.get() + 1);
            for i in 0..self.n {
                let mut h = Hasher::new(0);
                h.bytes(&self.id(i).to_le_bytes());
                f(h.finish(), i);
            }
        }
        fn same(&self, a: u32, b: u32) -> bool {
            self.comparisons.set(self.comparisons.get() + 1);
            self.id(a) == self.id(b)
        }
    }

    /// Searches `n` items through a scratch of `entries` (room for twice as many fingerprints);
    /// returns the passes, the comparisons and the repeats reported.
    fn count_work<const S: usize>(n: u32, stride: u32) -> (usize, usize, usize) {
        let items = Counted::new(n, stride);
        let mut repeats = 0usize;
        find_repeats(&items, n as usize, &mut [0; S], &mut |first, _| {
            assert_eq!(items.id(first), 0);
            repeats += 1;
            Flow::Continue
        });
        (items.passes.get(), items.comparisons.get(), repeats)
    }

    #[test]
    fn equal_names_beyond_the_scratch_cost_linear_work() {
        // `[a]` 2,050 times, and twice and four times that, through `parse`'s 1,024 entries
        // (2,048 fingerprints): equal names share every hash bit, so their class cannot be
        // split; it is compacted instead. Before, 2,050 names made 33 vain passes and then
        // walked all of them once per name (2,050 more passes, ~4.2 million item visits); now
        // one comparison per repeat and a pass per 1,792 names (classes are filled to 7/8)
        // plus one to confirm.
        for n in [2_050u32, 4_100, 8_200] {
            let (passes, comparisons, repeats) = count_work::<1024>(n, 1);
            assert_eq!(repeats, n as usize - 1);
            assert_eq!(comparisons, n as usize - 1, "each repeat compared once");
            assert_eq!(passes, (n as usize).div_ceil(1_792) + 1, "n = {n}");
        }
        // Through a 16-entry scratch (28 names a class) the passes grow as documented, the
        // comparisons do not; half the names equal, half distinct, likewise.
        for (n, stride, expected) in [(2_000u32, 1u32, 1_999usize), (4_000, 1, 3_999)] {
            let (passes, comparisons, repeats) = count_work::<16>(n, stride);
            assert_eq!((comparisons, repeats), (expected, expected));
            assert_eq!(passes, (n as usize).div_ceil(28) + 1);
        }
        let (_, c1, r1) = count_work::<16>(2_000, 2);
        let (_, c2, r2) = count_work::<16>(4_000, 2);
        assert_eq!((r1, r2, c1, c2), (999, 1_999, 999, 1_999));
    }

    #[test]
    fn stop_ends_the_search() {
        let mut seen = 0;
        find_repeats(&Words("a a b b c c"), 6, &mut [0; 16], &mut |_, _| {
            seen += 1;
            Flow::Stop
        });
        assert_eq!(seen, 1);
    }
}
