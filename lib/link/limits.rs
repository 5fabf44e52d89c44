//! The limits that keep one peer from hurting the others (the paper's DDoS and spam threats):
//! the record size, a per-peer rate, handshake and idle timeouts, and connection caps. A cut
//! is logged with the peer and the reason; it never touches another peer's connection.

use std::time::{Duration, Instant};

/// The longest record a meter link accepts by default: 64 KiB (a reading is ~300 bytes, a
/// signed transaction a few KiB).
pub const METER_LINE_BYTES: usize = 64 << 10;

/// The link's limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The longest record (its JSON line) accepted from stdin or a peer.
    pub max_record: usize,
    /// Records per second per peer, with a burst (operator side; `None`: unlimited). A peer
    /// above it is slowed down (its connection is read no faster), not cut.
    pub rate: Option<Rate>,
    /// The TLS handshake and the first `hello` must be done within this.
    pub handshake_timeout: Duration,
    /// A connection on which nothing arrives for this long is cut (pings keep a quiet link
    /// alive; a slow-loris's partial line does not count).
    pub idle_timeout: Duration,
    /// Connections per certificate (operator side).
    pub max_per_peer: usize,
    /// Connections in all, handshakes included (operator side).
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_record: METER_LINE_BYTES,
            rate: Some(Rate { per_second: 1000.0, burst: 2000 }),
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_per_peer: 2,
            max_connections: 4096,
        }
    }
}

/// A rate limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Records per second, sustained.
    pub per_second: f64,
    /// Records at once after a quiet spell.
    pub burst: u32,
}

impl std::str::FromStr for Rate {
    type Err = String;

    /// `N` or `N/s` records per second; `N/s,BURST`; `none`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (rate, burst) = match text.split_once(',') {
            Some((rate, burst)) => (rate, Some(burst)),
            None => (text, None),
        };
        let rate = rate.trim().trim_end_matches("/s");
        let per_second: f64 =
            rate.parse().ok().filter(|r: &f64| r.is_finite() && *r > 0.0).ok_or_else(|| {
                format!("{text:?}: write records per second, e.g. 200/s or 200/s,500 (with a burst)")
            })?;
        let burst = match burst {
            Some(b) => b
                .trim()
                .parse()
                .ok()
                .filter(|b| *b >= 1)
                .ok_or_else(|| format!("{text:?}: the burst must be a whole number ≥ 1"))?,
            None => (per_second * 2.0).ceil().max(1.0) as u32,
        };
        Ok(Rate { per_second, burst })
    }
}

/// A token bucket: [`TokenBucket::take`] says how long to wait before the next record.
#[derive(Debug)]
pub struct TokenBucket {
    rate: Rate,
    tokens: f64,
    at: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate: Rate) -> Self {
        TokenBucket { rate, tokens: f64::from(rate.burst), at: Instant::now() }
    }

    /// Takes one token; `Some(wait)` when the caller must wait that long first (the token is
    /// taken anyway: waiting pays it back).
    pub fn take(&mut self, now: Instant) -> Option<Duration> {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.at = now;
        self.tokens = (self.tokens + elapsed * self.rate.per_second).min(f64::from(self.rate.burst));
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            None
        } else {
            Some(Duration::from_secs_f64(-self.tokens / self.rate.per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(Rate { per_second: 100.0, burst: 3 });
        assert_eq!((0..3).filter_map(|_| bucket.take(start)).count(), 0);
        let wait = bucket.take(start).unwrap();
        assert!((wait.as_secs_f64() - 0.01).abs() < 1e-9, "{wait:?}");
        // After a second it is full again, no more.
        let later = start + Duration::from_secs(1);
        assert_eq!((0..3).filter_map(|_| bucket.take(later)).count(), 0);
        assert!(bucket.take(later).is_some());
    }

    #[test]
    fn rates_parse() {
        assert_eq!("200/s".parse::<Rate>().unwrap(), Rate { per_second: 200.0, burst: 400 });
        assert_eq!("5,1".parse::<Rate>().unwrap(), Rate { per_second: 5.0, burst: 1 });
        assert!("0/s".parse::<Rate>().is_err());
        assert!("fast".parse::<Rate>().is_err());
        assert!("5/s,0".parse::<Rate>().is_err());
    }
}
