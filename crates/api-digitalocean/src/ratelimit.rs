//! DigitalOcean's limits: 250 requests per minute and 5,000 per hour per token, each request
//! expiring on its own (a sliding window), reported on every response.
//!
//! Memory is bounded: requests are counted in buckets (one second wide for the minute window,
//! one minute wide for the hour), so a key costs at most 120 buckets however busy it is; a
//! key whose windows are empty is dropped; and at most `max_keys` keys are held. Past the cap,
//! the least recently seen of a sample of keys is forgotten (a
//! forgotten key starts afresh: lenient, never wrong in the client's disfavour).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// What the headers say after a request was counted (or refused).
#[derive(Debug, Clone, Copy)]
pub struct Verdict {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Unix seconds when the oldest counted request expires.
    pub reset: u64,
    /// Seconds until a refused request may be retried.
    pub retry_after: u64,
}

pub struct RateLimiter {
    per_minute: u32,
    per_hour: u32,
    max_keys: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    windows: HashMap<String, Window>,
    last_sweep: u64,
}

/// Requests counted per bucket: (bucket start in ms, count), oldest first.
#[derive(Default)]
struct Buckets(VecDeque<(u64, u32)>);

impl Buckets {
    fn expire(&mut self, now: u64, span: u64) {
        while self.0.front().is_some_and(|&(t, _)| t + span <= now) {
            self.0.pop_front();
        }
    }
    fn count(&self) -> u32 {
        self.0.iter().map(|&(_, n)| n).sum()
    }
    fn add(&mut self, now: u64, width: u64) {
        let start = now - now % width;
        match self.0.back_mut() {
            Some((t, n)) if *t == start => *n += 1,
            _ => self.0.push_back((start, 1)),
        }
    }
    /// When the oldest counted request expires.
    fn oldest_expiry(&self, span: u64) -> Option<u64> {
        self.0.front().map(|&(t, _)| t + span)
    }
}

#[derive(Default)]
struct Window {
    minute: Buckets,
    hour: Buckets,
    last_seen: u64,
}

const SECOND_MS: u64 = 1000;
const MINUTE_MS: u64 = 60_000;
const HOUR_MS: u64 = 3_600_000;
const NOMINAL_PER_HOUR: u32 = 5000;
/// Keys held at most (~300 bytes each when quiet, under 2 KiB when busy). Far more tokens than
/// a shared twin sees active in an hour; past it, forgetting a key only ever lets more through.
pub const DEFAULT_MAX_KEYS: usize = 10_000;
/// Keys looked at when the cap forces one out.
const EVICTION_SAMPLE: usize = 16;

impl RateLimiter {
    pub fn new(per_minute: u32, per_hour: u32) -> Self {
        Self::with_max_keys(per_minute, per_hour, DEFAULT_MAX_KEYS)
    }

    pub fn with_max_keys(per_minute: u32, per_hour: u32, max_keys: usize) -> Self {
        Self {
            per_minute,
            per_hour,
            max_keys: max_keys.max(1),
            state: Mutex::new(State::default()),
        }
    }

    /// The figure `ratelimit-limit` reports: the hourly limit, else the per-minute one.
    /// With both limits off it reports DigitalOcean's nominal hourly figure, never a 0 a
    /// client would read as "stop".
    pub fn limit(&self) -> u32 {
        match (self.per_hour, self.per_minute) {
            (0, 0) => NOMINAL_PER_HOUR,
            (0, m) => m,
            (h, _) => h,
        }
    }

    /// Keys currently held (for tests and the hostile-clients benchmark).
    pub fn len(&self) -> usize {
        self.lock().windows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops every key whose windows are empty.
    fn sweep(windows: &mut HashMap<String, Window>, now: u64) {
        windows.retain(|_, w| {
            w.minute.expire(now, MINUTE_MS);
            w.hour.expire(now, HOUR_MS);
            !(w.minute.0.is_empty() && w.hour.0.is_empty())
        });
    }

    fn make_room(&self, windows: &mut HashMap<String, Window>) {
        if windows.len() >= self.max_keys {
            let oldest = windows
                .iter()
                .take(EVICTION_SAMPLE)
                .min_by_key(|(_, w)| w.last_seen)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                windows.remove(&k);
            }
        }
    }

    /// Counts one request by `key` at `now_ms`.
    pub fn check(&self, key: &str, now_ms: u64) -> Verdict {
        let now_s = now_ms / 1000;
        let mut state = self.lock();
        // Idle keys go once a minute, so memory follows the clients active in the last hour.
        if now_ms.saturating_sub(state.last_sweep) >= MINUTE_MS {
            state.last_sweep = now_ms;
            Self::sweep(&mut state.windows, now_ms);
        }
        let windows = &mut state.windows;
        if !windows.contains_key(key) && windows.len() >= self.max_keys {
            self.make_room(windows);
        }
        let w = windows.entry(key.to_owned()).or_default();
        w.last_seen = now_ms;
        w.minute.expire(now_ms, MINUTE_MS);
        w.hour.expire(now_ms, HOUR_MS);
        let minute_full = self.per_minute > 0 && w.minute.count() >= self.per_minute;
        let hour_full = self.per_hour > 0 && w.hour.count() >= self.per_hour;
        let allowed = !minute_full && !hour_full;
        if allowed {
            if self.per_minute > 0 {
                w.minute.add(now_ms, SECOND_MS);
            }
            if self.per_hour > 0 {
                w.hour.add(now_ms, MINUTE_MS);
            }
        }
        let limit = self.limit();
        let used = if self.per_hour > 0 {
            w.hour.count()
        } else {
            w.minute.count()
        };
        let reset = w
            .hour
            .oldest_expiry(HOUR_MS)
            .or_else(|| w.minute.oldest_expiry(MINUTE_MS))
            .map_or(now_s, |t| t / 1000);
        let wait = |b: &Buckets, span| {
            b.oldest_expiry(span)
                .map_or(1, |t| t.saturating_sub(now_ms).div_ceil(1000))
        };
        let retry_after = if hour_full {
            wait(&w.hour, HOUR_MS)
        } else if minute_full {
            wait(&w.minute, MINUTE_MS)
        } else {
            0
        };
        let empty = w.minute.0.is_empty() && w.hour.0.is_empty();
        if empty {
            // Both limits off: nothing to remember about this key.
            windows.remove(key);
        }
        Verdict {
            allowed,
            limit,
            // A refused request has nothing left to spend now, whichever window refused it.
            remaining: if allowed {
                limit.saturating_sub(used)
            } else {
                0
            },
            reset,
            retry_after: retry_after.max(u64::from(!allowed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minute_window_slides() {
        let rl = RateLimiter::new(2, 100);
        assert!(rl.check("a", 0).allowed);
        assert!(rl.check("a", 10_000).allowed);
        let refused = rl.check("a", 20_000);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after, 40);
        assert!(rl.check("b", 20_000).allowed, "tokens are counted apart");
        assert!(rl.check("a", 60_000).allowed, "the first request expired");
        assert_eq!(
            rl.check("a", 60_001).remaining,
            0,
            "refused: nothing left now"
        );
        assert_eq!(rl.check("a", 70_001).remaining, 96);
    }

    #[test]
    fn hour_window_and_disabled() {
        let rl = RateLimiter::new(0, 3);
        for t in 0..3 {
            assert!(rl.check("a", t * 1000).allowed);
        }
        let v = rl.check("a", 5000);
        assert!(!v.allowed && v.retry_after == 3595 && v.reset == 3600);
        let off = RateLimiter::new(0, 0);
        assert!((0..10_000).all(|t| off.check("a", t).allowed));
        let v = off.check("a", 10_000);
        assert_eq!((v.limit, v.remaining), (5000, 5000));
        assert!(off.is_empty(), "nothing is kept when both limits are off");
    }

    #[test]
    fn a_busy_key_holds_a_bounded_number_of_buckets() {
        let rl = RateLimiter::new(1_000_000, 1_000_000);
        for t in 0..200_000u64 {
            rl.check("a", t * 17);
        }
        let state = rl.lock();
        let w = &state.windows["a"];
        assert!(w.minute.0.len() <= 61 && w.hour.0.len() <= 61);
    }

    #[test]
    fn keys_are_capped_and_idle_ones_expire() {
        let rl = RateLimiter::with_max_keys(250, 5000, 1000);
        for i in 0..10_000u64 {
            rl.check(&format!("k{i}"), i);
        }
        assert_eq!(rl.len(), 1000, "never more than the cap");
        // An hour later every key is idle: the next request sweeps them all.
        rl.check("fresh", 10_000 + HOUR_MS + MINUTE_MS);
        assert_eq!(rl.len(), 1, "idle keys expire");
    }
}
