//! Lenient reading of request bodies, as Megaport's clients write them: unknown and
//! capitalised junk keys ignored (`ValidFor` beside `validFor`), names matched exactly,
//! numbers and booleans accepted as strings, `null` as absent.

use crate::error::ApiError;
use serde_json::{Map, Value};

/// The JSON body; empty means `{}`.
pub fn parse(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(format!(
            "Validation failed: the request body is not valid JSON ({e})"
        ))
    })
}

/// A JSON object read field by field.
#[derive(Clone, Copy)]
pub struct Obj<'a>(pub &'a Map<String, Value>);

fn wrong(field: &str, what: &str) -> ApiError {
    ApiError::bad_request(format!("Validation failed {field} must be {what}"))
}

impl<'a> Obj<'a> {
    pub fn of(v: &'a Value, what: &str) -> Result<Self, ApiError> {
        v.as_object()
            .map(Obj)
            .ok_or_else(|| wrong(what, "an object"))
    }

    pub fn get(&self, k: &str) -> Option<&'a Value> {
        self.0.get(k).filter(|v| !v.is_null())
    }

    pub fn str(&self, k: &str) -> Result<Option<String>, ApiError> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(wrong(k, "a string")),
        }
    }

    pub fn int(&self, k: &str) -> Result<Option<i64>, ApiError> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                        .map(|f| f as i64)
                })
                .map(Some)
                .ok_or_else(|| wrong(k, "a whole number")),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| wrong(k, "a whole number")),
            Some(_) => Err(wrong(k, "a whole number")),
        }
    }

    pub fn bool(&self, k: &str) -> Result<Option<bool>, ApiError> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(Some(true)),
                "false" | "0" | "no" | "" => Ok(Some(false)),
                _ => Err(wrong(k, "true or false")),
            },
            Some(Value::Number(n)) => Ok(Some(n.as_f64() != Some(0.0))),
            Some(_) => Err(wrong(k, "true or false")),
        }
    }

    pub fn obj(&self, k: &str) -> Result<Option<Obj<'a>>, ApiError> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(Obj(m))),
            Some(_) => Err(wrong(k, "an object")),
        }
    }

    pub fn arr(&self, k: &str) -> Result<&'a [Value], ApiError> {
        match self.get(k) {
            None => Ok(&[]),
            Some(Value::Array(a)) => Ok(a),
            Some(_) => Err(wrong(k, "a list")),
        }
    }

    /// A list of strings (numbers taken as their text).
    pub fn strings(&self, k: &str) -> Result<Vec<String>, ApiError> {
        self.arr(k)?
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(wrong(k, "a list of strings")),
            })
            .collect()
    }

    /// An epoch time in milliseconds; megalib sends seconds, and some clients ISO strings
    /// (`2026-12-01T10:00:00Z`, read to the second).
    pub fn time(&self, k: &str) -> Result<Option<i64>, ApiError> {
        let bad = || {
            wrong(
                k,
                "epoch milliseconds (or seconds) or an ISO 8601 time between 1970 and 9999",
            )
        };
        let ms = match self.get(k) {
            Some(Value::String(s)) if s.contains('-') => Some(parse_iso(s).ok_or_else(bad)?),
            _ => match self.int(k)? {
                None => None,
                Some(n) if n < 0 => return Err(bad()),
                // megalib sends seconds; anything this small is not a millisecond date.
                Some(n) if n < 100_000_000_000 => Some(n * 1000),
                Some(n) => Some(n),
            },
        };
        match ms {
            Some(ms) if ms > MAX_TIME_MS => Err(bad()),
            other => Ok(other),
        }
    }
}

/// 9999-12-31T23:59:59.999Z.
const MAX_TIME_MS: i64 = 253_402_300_799_999;

/// `YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH:MM]` to epoch ms, for years 1970 to 9999; anything
/// else (31 February, 25 o'clock, NaN seconds) is `None`.
fn parse_iso(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, rest) = s.split_once(['T', ' ']).unwrap_or((s, "00:00:00Z"));
    let mut d = date.split('-');
    let y: i64 = d.next()?.parse().ok()?;
    let m: i64 = d.next()?.parse().ok()?;
    let day: i64 = d.next()?.parse().ok()?;
    if d.next().is_some() || !(1970..=9999).contains(&y) || !(1..=12).contains(&m) {
        return None;
    }
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if day < 1 || day > month_days[(m - 1) as usize] {
        return None;
    }
    let (time, offset) = match rest.find(['Z', 'z', '+', '-']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "Z"),
    };
    let mut t = time.split(':');
    let h: i64 = t.next()?.parse().ok()?;
    let mi: i64 = t.next().unwrap_or("0").parse().ok()?;
    let sec: f64 = t.next().unwrap_or("0").parse().ok()?;
    if t.next().is_some()
        || !(0..=23).contains(&h)
        || !(0..=59).contains(&mi)
        || !(0.0..61.0).contains(&sec)
    {
        return None;
    }
    let off_min = match offset {
        "Z" | "z" | "" => 0,
        o => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let (oh, om) = o[1..].split_once(':').unwrap_or((&o[1..], "0"));
            let (oh, om): (i64, i64) = (oh.parse().ok()?, om.parse().ok()?);
            if !(0..=14).contains(&oh) || !(0..=59).contains(&om) {
                return None;
            }
            sign * (oh * 60 + om)
        }
    };
    // Days from civil (Howard Hinnant); every term is bounded by the checks above.
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 - off_min * 60;
    Some(secs * 1000 + (sec * 1000.0) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lenient_numbers_booleans_and_times() {
        let v = json!({"maxSpeed": "500", "singleUse": "true", "n": 2.0, "ValidFor": 1, "validFor": null,
                       "start": 1_700_000_000, "iso": "2026-12-01T10:00:00Z"});
        let o = Obj::of(&v, "body").unwrap();
        assert_eq!(o.int("maxSpeed").unwrap(), Some(500));
        assert_eq!(o.bool("singleUse").unwrap(), Some(true));
        assert_eq!(o.int("n").unwrap(), Some(2));
        assert!(
            o.obj("validFor").unwrap().is_none(),
            "case matters; null is absent"
        );
        assert_eq!(o.time("start").unwrap(), Some(1_700_000_000_000));
        assert_eq!(o.time("iso").unwrap(), Some(1_796_119_200_000));
        assert!(Obj::of(&json!({"x": [1]}), "b").unwrap().int("x").is_err());
        for bad in [
            json!(i64::MIN),
            json!(-1),
            json!("2026-02-31"),
            json!("99999999999999-01-01"),
            json!("2026-01-01T00:00:NaNZ"),
            json!("2026-01-01T00:00:infZ"),
            json!("2026-01-01T00:00:00+9999999999999999:00"),
            json!("9223372036854775807-01-01T00:00:00Z"),
            json!(i64::MAX),
        ] {
            let v = json!({"t": bad});
            assert!(Obj::of(&v, "b").unwrap().time("t").is_err(), "{v}");
        }
        let v = json!({"t": "2026-12-01T10:00:00+01:00"});
        assert_eq!(
            Obj::of(&v, "b").unwrap().time("t").unwrap(),
            Some(1_796_115_600_000)
        );
    }
}
