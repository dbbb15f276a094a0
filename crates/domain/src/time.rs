//! Timestamps are integer epoch milliseconds everywhere below the wire; the wire shows RFC 3339.

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// `2026-11-23T12:34:56Z`, the shape DigitalOcean's `created_at` fields use.
pub fn rfc3339(ms: Millis) -> String {
    format!("{}Z", date_time(ms))
}

/// `2026-11-23T12:34:56.789Z`: with milliseconds, for event logs.
pub fn rfc3339_millis(ms: Millis) -> String {
    format!("{}.{:03}Z", date_time(ms), ms.rem_euclid(1000))
}

/// `2026-11-23T12:34:56`, UTC, whole seconds.
fn date_time(ms: Millis) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::{rfc3339, rfc3339_millis};

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_436_096_789), "2026-11-23T12:14:56Z");
        assert_eq!(
            rfc3339_millis(1_795_436_096_789),
            "2026-11-23T12:14:56.789Z"
        );
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
    }
}
