//! Static stability: pushing back the expiry of IMDS credentials that are about to lapse.
//!
//! When IMDS itself cannot renew an instance's credentials (an outage of the service behind it),
//! it keeps handing out the last set it had, with an `Expiration` that is close or already past.
//! Callers would then hammer IMDS and fail their requests. botocore's answer (spec §4.8, PR
//! boto/botocore#2664) is to pretend, on the client, that such a set stays valid a little
//! longer, and to try IMDS again before that invented expiry:
//!
//! 1. `offset = ec2_credential_refresh_window + randint(120, 600)` seconds, both ends included;
//!    the default chain passes a window of 900, so the offset is 1020–1500 s (17–25 min);
//! 2. if `now >= expiration - offset` (expired, **or** expiring within `offset`), the document's
//!    `Expiration` becomes `now + offset`;
//! 3. botocore logs "… A refresh of these credentials will be attempted again within the next N
//!    minutes.", N being `offset / 60` printed with `%.0f` ([`Extension::minutes`]).
//!
//! It runs on every successful IMDS fetch, before the credentials reach the cache, and only when
//! `Expiration` parses with the exact format `%Y-%m-%dT%H:%M:%SZ` (otherwise botocore skips it
//! and logs at debug level): the caller decides that, and passes the parsed instant.
//!
//! Combined with botocore's 15-minute advisory window, an extended set is refreshed again
//! 121–601 s after it was fetched: while IMDS keeps handing out near-expiry credentials, botocore
//! asks it about every 2–10 minutes (the jitter spreads a fleet's requests).
//!
//! The AWS SDK for Rust (aws-config.md §1.3 "Static stability") extends only credentials that
//! are already expired (`Expiration <= now`), to `now + 600 + uniform(0..=300)` s:
//! [`StaticStability::aws_sdk_rust()`], kept for reference and comparison.

/// When an extension applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtensionTrigger {
    /// botocore: `now >= expiry - offset`, that is expired or expiring within the offset.
    WithinOffset,
    /// AWS SDK for Rust: `expiry <= now`, already expired only.
    Expired,
}

/// The static-stability extension of IMDS credentials, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StaticStability {
    /// The fixed part of the offset, in seconds (botocore's `ec2_credential_refresh_window`).
    pub base_secs: i64,
    /// The random part of the offset: `jitter_min..=jitter_max` seconds, picked by
    /// `jitter_min + jitter % (jitter_max - jitter_min + 1)` from the caller's raw `u64`.
    pub jitter_min: i64,
    /// See [`jitter_min`](Self::jitter_min).
    pub jitter_max: i64,
    /// When the extension applies.
    pub trigger: ExtensionTrigger,
}

/// An extension that applies: the document's new expiry and the offset that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Extension {
    /// The new expiry, `now + offset` (Unix seconds). botocore writes it back into the document as
    /// `%Y-%m-%dT%H:%M:%SZ`.
    pub expiry: i64,
    /// The offset in seconds (base plus jitter).
    pub offset_secs: i64,
}

impl Extension {
    /// The "N minutes" of botocore's INFO message: `offset / 60` formatted with Python's `%.0f`,
    /// which rounds half to even (1050 s is "18", 1110 s is "18" too).
    #[must_use]
    pub const fn minutes(&self) -> i64 {
        let q = self.offset_secs.div_euclid(60);
        let r = self.offset_secs.rem_euclid(60);
        // The exact quotient is q + r/60 with 0 <= r < 60.
        if r > 30 || (r == 30 && q.rem_euclid(2) == 1) {
            q.saturating_add(1)
        } else {
            q
        }
    }
}

impl StaticStability {
    /// botocore's default chain (spec §4.1, §4.8): `ec2_credential_refresh_window = 900`, jitter
    /// 120–600 s, applied when `now >= expiry - offset`. Offsets: 1020–1500 s.
    #[must_use]
    pub const fn botocore() -> Self {
        StaticStability {
            base_secs: 900,
            jitter_min: 120,
            jitter_max: 600,
            trigger: ExtensionTrigger::WithinOffset,
        }
    }

    /// botocore's `InstanceMetadataFetcher` used on its own, without the default chain's
    /// configuration: the window defaults to 600 s. Offsets: 720–1200 s.
    #[must_use]
    pub const fn botocore_standalone() -> Self {
        StaticStability {
            base_secs: 600,
            ..StaticStability::botocore()
        }
    }

    /// The AWS SDK for Rust (aws-config.md §1.3): expired credentials only, extended by
    /// 600 + 0–300 s.
    #[must_use]
    pub const fn aws_sdk_rust() -> Self {
        StaticStability {
            base_secs: 600,
            jitter_min: 0,
            jitter_max: 300,
            trigger: ExtensionTrigger::Expired,
        }
    }

    /// The offset, in seconds, that the raw random value `jitter` selects.
    #[must_use]
    pub const fn offset(&self, jitter: u64) -> i64 {
        let extra = super::policy::JitterRange::new(self.jitter_min, self.jitter_max).pick(jitter);
        self.base_secs.saturating_add(extra)
    }

    /// Applies the extension to a document fetched at `now` that expires at `expiry`: the new
    /// expiry if it applies, `None` if the document is left alone.
    ///
    /// Call it once per fetched IMDS document, with a fresh `jitter`, before handing the
    /// credentials to the cache.
    ///
    /// ```
    /// use credchain_core::refresh::StaticStability;
    /// let s = StaticStability::botocore();
    /// // jitter 0 picks the smallest offset, 900 + 120 = 1020 s.
    /// let now = 1_700_000_000;
    /// assert_eq!(s.extend(now, now + 1020, 0).map(|e| e.expiry), Some(now + 1020));
    /// assert_eq!(s.extend(now, now + 1021, 0), None);
    /// // Already expired: extended too.
    /// assert_eq!(s.extend(now, now - 5, 0).map(|e| e.expiry), Some(now + 1020));
    /// ```
    #[must_use]
    pub const fn extend(&self, now: i64, expiry: i64, jitter: u64) -> Option<Extension> {
        let offset = self.offset(jitter);
        let applies = match self.trigger {
            ExtensionTrigger::WithinOffset => now >= expiry.saturating_sub(offset),
            ExtensionTrigger::Expired => expiry <= now,
        };
        if applies {
            Some(Extension {
                expiry: now.saturating_add(offset),
                offset_secs: offset,
            })
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn botocore_offsets_span_1020_to_1500() {
        let s = StaticStability::botocore();
        assert_eq!(s.offset(0), 1020);
        assert_eq!(s.offset(480), 1500);
        assert_eq!(s.offset(481), 1020);
        assert_eq!(s.offset(u64::MAX), 900 + 120 + (u64::MAX % 481) as i64);
        assert_eq!(StaticStability::botocore_standalone().offset(0), 720);
        assert_eq!(StaticStability::aws_sdk_rust().offset(300), 900);
    }

    #[test]
    fn applies_iff_now_at_or_past_expiry_minus_offset() {
        let s = StaticStability::botocore();
        let now = 10_000;
        for jitter in [0u64, 480] {
            let off = s.offset(jitter);
            assert_eq!(
                s.extend(now, now + off, jitter),
                Some(Extension {
                    expiry: now + off,
                    offset_secs: off
                })
            );
            assert_eq!(s.extend(now, now + off + 1, jitter), None);
            assert_eq!(
                s.extend(now, now - 1, jitter).map(|e| e.expiry),
                Some(now + off)
            );
        }
        let a = StaticStability::aws_sdk_rust();
        assert_eq!(a.extend(now, now + 1, 0), None);
        assert_eq!(a.extend(now, now, 0).map(|e| e.expiry), Some(now + 600));
    }

    #[test]
    fn extreme_instants_saturate() {
        let s = StaticStability::botocore();
        assert_eq!(
            s.extend(i64::MAX, i64::MIN, 0).map(|e| e.expiry),
            Some(i64::MAX)
        );
        assert_eq!(s.extend(i64::MIN, i64::MAX, 0), None);
        let huge = StaticStability {
            base_secs: i64::MAX,
            jitter_min: i64::MIN,
            jitter_max: i64::MAX,
            trigger: ExtensionTrigger::WithinOffset,
        };
        let _ = huge.extend(0, 0, u64::MAX);
    }

    #[test]
    fn minutes_round_half_to_even_like_python() {
        let m = |offset_secs| {
            Extension {
                expiry: 0,
                offset_secs,
            }
            .minutes()
        };
        assert_eq!(m(1020), 17);
        assert_eq!(m(1049), 17);
        assert_eq!(m(1050), 18);
        assert_eq!(m(1110), 18);
        assert_eq!(m(1111), 19);
        assert_eq!(m(1500), 25);
        assert_eq!(m(-1050), -18);
        assert_eq!(m(i64::MAX), i64::MAX / 60);
        assert_eq!(m(i64::MIN), i64::MIN / 60);
    }
}
