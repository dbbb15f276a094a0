//! `page` / `per_page` in, `links.pages` (absolute URLs) and `meta.total` out.

use crate::error::{ApiError, ApiResult};
use crate::wire::{percent_encode, Links, Meta, PageLinks};
use crosslink_control::PageRequest;
use std::collections::HashMap;

pub const DEFAULT_PER_PAGE: u32 = 20;
pub const MAX_PER_PAGE: u32 = 200;

fn int_param(
    query: &HashMap<String, String>,
    name: &str,
    default: u64,
    max: u64,
) -> ApiResult<u64> {
    match query.get(name) {
        None => Ok(default),
        // A page past the last one is valid and empty, however far past.
        Some(raw)
            if name == "page" && raw.len() > 19 && raw.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Ok(max)
        }
        Some(raw) => raw
            .parse::<u64>()
            .ok()
            .filter(|v| (1..=max).contains(v))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "{name} must be an integer between 1 and {max}, got '{raw}'"
                ))
            }),
    }
}

pub fn page_request(query: &HashMap<String, String>) -> ApiResult<PageRequest> {
    Ok(PageRequest {
        page: int_param(query, "page", 1, u64::MAX)?,
        per_page: int_param(
            query,
            "per_page",
            u64::from(DEFAULT_PER_PAGE),
            u64::from(MAX_PER_PAGE),
        )? as u32,
    })
}

/// Links for `path`, keeping the other query parameters (e.g. a `region` filter).
pub fn links(
    base: &str,
    path: &str,
    query: &HashMap<String, String>,
    page: PageRequest,
    total: u64,
) -> (Links, Meta) {
    let last = total.div_ceil(u64::from(page.per_page)).max(1);
    let current = page.page;
    let mut extra: Vec<(&String, &String)> = query
        .iter()
        .filter(|(k, _)| k.as_str() != "page" && k.as_str() != "per_page")
        .collect();
    extra.sort();
    let url = |p: u64| {
        let mut u = format!("{base}{path}?page={p}&per_page={}", page.per_page);
        for (k, v) in &extra {
            u.push('&');
            u.push_str(&percent_encode(k));
            u.push('=');
            u.push_str(&percent_encode(v));
        }
        u
    };
    let mut pages = PageLinks::default();
    if current > 1 {
        pages.first = Some(url(1));
        pages.prev = Some(url((current - 1).min(last)));
    }
    if current < last {
        pages.next = Some(url(current + 1));
        pages.last = Some(url(last));
    }
    let links = Links {
        pages: (pages != PageLinks::default()).then_some(pages),
    };
    (links, Meta { total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_only_where_they_make_sense() {
        let q = HashMap::new();
        let p = |page| PageRequest { page, per_page: 20 };
        let (l, m) = links("http://h", "/v2/vpcs", &q, p(1), 45);
        let pages = l.pages.unwrap();
        assert_eq!(m.total, 45);
        assert!(pages.first.is_none() && pages.prev.is_none());
        assert_eq!(pages.last.unwrap(), "http://h/v2/vpcs?page=3&per_page=20");
        let (l, _) = links("http://h", "/v2/vpcs", &q, p(3), 45);
        let pages = l.pages.unwrap();
        assert!(pages.next.is_none() && pages.last.is_none());
        assert_eq!(pages.prev.unwrap(), "http://h/v2/vpcs?page=2&per_page=20");
        let (l, _) = links("http://h", "/v2/vpcs", &q, p(1), 3);
        assert!(l.pages.is_none());
    }
}
