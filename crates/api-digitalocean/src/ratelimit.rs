//! DigitalOcean's limits: 250 requests per minute and 5,000 per hour per token, each request
//! expiring on its own (a sliding window), reported on every response.

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
    windows: Mutex<HashMap<String, Window>>,
}

#[derive(Default)]
struct Window {
    minute: VecDeque<u64>,
    hour: VecDeque<u64>,
}

const MINUTE_MS: u64 = 60_000;
const NOMINAL_PER_HOUR: u32 = 5000;
const HOUR_MS: u64 = 3_600_000;

fn expire(q: &mut VecDeque<u64>, now: u64, span: u64) {
    while q.front().is_some_and(|&t| t + span <= now) {
        q.pop_front();
    }
}

impl RateLimiter {
    pub fn new(per_minute: u32, per_hour: u32) -> Self {
        Self {
            per_minute,
            per_hour,
            windows: Mutex::new(HashMap::new()),
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

    /// Counts one request by `key` at `now_ms`.
    pub fn check(&self, key: &str, now_ms: u64) -> Verdict {
        let now_s = now_ms / 1000;
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let w = windows.entry(key.to_owned()).or_default();
        expire(&mut w.minute, now_ms, MINUTE_MS);
        expire(&mut w.hour, now_ms, HOUR_MS);
        let minute_full = self.per_minute > 0 && w.minute.len() >= self.per_minute as usize;
        let hour_full = self.per_hour > 0 && w.hour.len() >= self.per_hour as usize;
        let allowed = !minute_full && !hour_full;
        if allowed {
            if self.per_minute > 0 {
                w.minute.push_back(now_ms);
            }
            if self.per_hour > 0 {
                w.hour.push_back(now_ms);
            }
        }
        let limit = self.limit();
        let used = if self.per_hour > 0 {
            w.hour.len()
        } else {
            w.minute.len()
        } as u32;
        let reset = w
            .hour
            .front()
            .map(|t| (t + HOUR_MS) / 1000)
            .or_else(|| w.minute.front().map(|t| (t + MINUTE_MS) / 1000))
            .unwrap_or(now_s);
        let retry_after = if hour_full {
            w.hour
                .front()
                .map_or(1, |t| (t + HOUR_MS).saturating_sub(now_ms).div_ceil(1000))
        } else if minute_full {
            w.minute
                .front()
                .map_or(1, |t| (t + MINUTE_MS).saturating_sub(now_ms).div_ceil(1000))
        } else {
            0
        };
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
    }
}
