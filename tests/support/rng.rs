//! SplitMix64: a small, well-mixed, seeded generator for the generated-scenario tests. The same
//! seed gives the same scenarios on every machine, so a failing case can be replayed.

/// The pieces that the generated strings of the STS and SSO tests have in common: unreserved
/// ASCII, a space, and the punctuation that form, query and URL encodings treat specially.
pub const URL_PIECES: [&str; 18] = [
    "a", "Z", "0", "9", "-", "_", ".", "~", " ", "+", "/", "=", "&", "%", "?", "#", ":", "@",
];

/// Characters beyond ASCII's printable ones, in the order the STS and SSO tests draw them:
/// two-byte, three-byte and four-byte UTF-8, a tab and a line break.
pub const WIDE_PIECES: [&str; 5] = ["é", "漢", "😀", "\t", "\n"];

/// The generator's state.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    #[allow(clippy::should_implement_trait)] // an endless stream: not an Iterator by intent
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` must not be 0).
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next().checked_rem(n as u64).unwrap_or(0)).unwrap_or(0)
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    /// True with probability `per_mille` / 1000.
    pub fn odds(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }

    /// One of `items` (which must not be empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = self.below(items.len());
        items
            .get(i)
            .unwrap_or_else(|| unreachable!("below() stays below the length"))
    }

    /// A copy of one of `items` (which must not be empty).
    pub fn choose<T: Copy>(&mut self, items: &[T]) -> T {
        *self.pick(items)
    }

    /// A string of up to `max` pieces (the count is drawn first, then each piece), each one of
    /// [`URL_PIECES`] followed by the pieces of `groups`, in order: a test's own additions come
    /// after the common ones, so that the same seed draws the same strings.
    pub fn text(&mut self, groups: &[&[&str]], max: usize) -> String {
        let pieces: Vec<&str> = URL_PIECES
            .iter()
            .chain(groups.iter().copied().flatten())
            .copied()
            .collect();
        let n = self.below(max.saturating_add(1));
        (0..n).map(|_| *self.pick(&pieces)).collect()
    }
}
