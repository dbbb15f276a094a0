//! doctl's output: a borderless table aligned like Go's tabwriter (4 spaces of padding, the last
//! column unpadded), `--format` picking columns by doctl's names, or `-o json`.

use anyhow::Result;
use serde::Serialize;

pub struct Column<T> {
    /// The name `--format` takes (doctl's struct field name, e.g. `IPRange`).
    pub name: &'static str,
    pub header: &'static str,
    pub value: fn(&T) -> String,
}

impl<T> Column<T> {
    /// A column whose header is its `--format` name.
    pub const fn new(name: &'static str, value: fn(&T) -> String) -> Self {
        Self::titled(name, name, value)
    }

    /// A column whose header differs from its `--format` name (`IPRange` → `IP Range`).
    pub const fn titled(name: &'static str, header: &'static str, value: fn(&T) -> String) -> Self {
        Self {
            name,
            header,
            value,
        }
    }
}

const PADDING: usize = 4;

/// What `--format` and `--no-header` ask for; create/update always show every column.
#[derive(Default)]
pub struct View {
    pub format: Option<String>,
    pub no_header: bool,
}

/// Picks `format`'s columns (case-insensitive); an unknown name is an error naming the valid ones.
/// As in doctl, whitespace and empty entries are ignored, and a format naming nothing (`""`)
/// means every column.
fn select<'a, T>(columns: &'a [Column<T>], format: Option<&str>) -> Result<Vec<&'a Column<T>>> {
    let format: String = format.unwrap_or_default().split_whitespace().collect();
    let wanted: Vec<&str> = format.split(',').filter(|c| !c.is_empty()).collect();
    if wanted.is_empty() {
        return Ok(columns.iter().collect());
    }
    wanted
        .into_iter()
        .map(|want| {
            columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(want))
                .ok_or_else(|| {
                    let valid: Vec<_> = columns.iter().map(|c| c.name).collect();
                    anyhow::anyhow!(
                        "unknown column {want:?} in --format; columns are: {}",
                        valid.join(", ")
                    )
                })
        })
        .collect()
}

pub fn render<T>(columns: &[Column<T>], items: &[T], view: &View) -> Result<String> {
    let picked = select(columns, view.format.as_deref())?;
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(items.len() + 1);
    if !view.no_header {
        rows.push(picked.iter().map(|c| c.header.to_owned()).collect());
    }
    rows.extend(
        items
            .iter()
            .map(|item| picked.iter().map(|c| clean((c.value)(item))).collect()),
    );
    Ok(align(&rows))
}

/// A tab or newline inside a value would break the table; doctl's tabwriter has the same
/// problem, we just flatten them.
fn clean(s: String) -> String {
    if s.contains(['\t', '\n', '\r']) {
        s.replace(['\t', '\n', '\r'], " ")
    } else {
        s
    }
}

fn align(rows: &[Vec<String>]) -> String {
    let cols = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cols)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < cols {
                let pad = widths[i] + PADDING - cell.chars().count();
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
    out
}

/// `-o json`: doctl prints the displayed objects indented, mostly as an array.
pub fn json<J: Serialize + ?Sized>(value: &J) -> Result<String> {
    Ok(serde_json::to_string_pretty(value)? + "\n")
}

/// Go prints a `time.Time` as `2006-01-02 15:04:05.999999999 -0700 MST`; doctl's tables show
/// that, so a UTC RFC 3339 stamp is rewritten to match. Anything else is shown as sent.
pub fn go_time(rfc3339: &str) -> String {
    match rfc3339.strip_suffix('Z').and_then(|s| s.split_once('T')) {
        Some((date, time)) => {
            let time = match time.split_once('.') {
                Some((hms, frac)) if frac.trim_end_matches('0').is_empty() => hms.to_owned(),
                Some((hms, frac)) => format!("{hms}.{}", frac.trim_end_matches('0')),
                None => time.to_owned(),
            };
            format!("{date} {time} +0000 UTC")
        }
        None => rfc3339.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> Vec<Column<(String, String)>> {
        vec![
            Column::new("ID", |r| r.0.clone()),
            Column::titled("IPRange", "IP Range", |r| r.1.clone()),
        ]
    }

    #[test]
    fn aligns_like_tabwriter() {
        let items = [("a".to_owned(), "10.0.0.0/20".to_owned())];
        let out = render(&cols(), &items, &View::default()).unwrap();
        assert_eq!(out, "ID    IP Range\na     10.0.0.0/20\n");
        let view = View {
            format: Some("iprange, id".into()),
            no_header: true,
        };
        assert_eq!(
            render(&cols(), &items, &view).unwrap(),
            "10.0.0.0/20    a\n"
        );
        let bad = View {
            format: Some("ID,Nope".into()),
            no_header: false,
        };
        let err = render(&cols(), &items, &bad).unwrap_err().to_string();
        assert!(err.contains("\"Nope\"") && err.contains("IPRange"), "{err}");
        // doctl's leniency: spaces and empty entries are dropped, an empty format is all.
        let sloppy = View {
            format: Some(" IP Range ,, id ".into()),
            no_header: true,
        };
        assert_eq!(
            render(&cols(), &items, &sloppy).unwrap(),
            "10.0.0.0/20    a\n"
        );
        let empty = View {
            format: Some(" ".into()),
            no_header: false,
        };
        assert_eq!(
            render(&cols(), &items, &empty).unwrap(),
            render(&cols(), &items, &View::default()).unwrap()
        );
    }

    #[test]
    fn go_time_format() {
        assert_eq!(
            go_time("2024-05-01T12:00:00Z"),
            "2024-05-01 12:00:00 +0000 UTC"
        );
        assert_eq!(
            go_time("2024-05-01T12:00:00.120Z"),
            "2024-05-01 12:00:00.12 +0000 UTC"
        );
        assert_eq!(go_time("yesterday"), "yesterday");
    }
}
