//! The web console as a hostile or careless browser would meet it (the seeds' flows are clicked
//! through in Chromium by tests/python/test_console_*.py): sign-in cookies, other sites' forms,
//! other tenants' pages, redirects, junk cookies and bodies.

mod common;

use common::{partner_attachment, request_with, tempdir, Client, Response, Server};
use serde_json::json;

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

fn sign_in(s: &Server, token: &str) -> String {
    let r = request_with(
        &s.admin,
        "POST",
        "/sign-in",
        &[FORM],
        Some(&format!("side=digitalocean&token={token}")),
    );
    assert_eq!(r.status, 303, "{}", r.raw);
    let cookie = r.header("set-cookie").expect("a session cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{attr} missing from {cookie}");
    }
    assert!(
        !cookie.contains(token),
        "the cookie carries the token in the clear"
    );
    cookie.split(';').next().unwrap().to_owned()
}

fn page(s: &Server, path: &str, cookie: &str) -> Response {
    request_with(&s.admin, "GET", path, &[("Cookie", cookie)], None)
}

#[test]
fn pages_need_sign_in_and_send_back_only_to_our_own_paths() {
    let s = Server::start(&tempdir(), &[]);
    let r = request_with(&s.admin, "GET", "/networking/vpc", &[], None);
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/sign-in?next=/networking/vpc"));
    // After signing in, `next` may only name a path here.
    for evil in [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let r = request_with(
            &s.admin,
            "POST",
            "/sign-in",
            &[FORM],
            Some(&format!("side=digitalocean&token=t-evil&next={evil}")),
        );
        assert_eq!(r.status, 303);
        assert_eq!(r.header("location"), Some("/networking/vpc"), "next={evil}");
    }
    // Security headers on every page; scripts only from our own files.
    let r = request_with(&s.admin, "GET", "/sign-in", &[], None);
    assert_eq!(r.status, 200);
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert!(
        !r.raw.contains("<script>"),
        "inline script on the sign-in page"
    );
    // The assets are in the binary.
    let r = request_with(&s.admin, "GET", "/assets/htmx.min.js", &[], None);
    assert_eq!(r.status, 200);
    assert!(r.raw.contains("htmx"));
    let r = request_with(&s.admin, "GET", "/assets/../admin-token", &[], None);
    assert_ne!(r.status, 200);
    assert!(!r.raw.contains(&s.admin_token));
}

#[test]
fn another_sites_form_changes_nothing() {
    let s = Server::start(&tempdir(), &[]);
    let cookie = sign_in(&s, "victim-token");
    for headers in [
        vec![
            ("Cookie", cookie.as_str()),
            FORM,
            ("Origin", "https://evil.example"),
        ],
        vec![
            ("Cookie", cookie.as_str()),
            FORM,
            ("Sec-Fetch-Site", "cross-site"),
        ],
        vec![("Cookie", cookie.as_str()), FORM, ("Origin", "null")],
    ] {
        let r = request_with(
            &s.admin,
            "POST",
            "/networking/vpc/new",
            &headers,
            Some("region=nyc3&name=planted"),
        );
        assert_eq!(r.status, 403, "{headers:?}: {}", r.raw);
    }
    let vpcs = Client::new(&s, "victim-token").get("/v2/vpcs");
    assert_eq!(
        vpcs.body["vpcs"].as_array().unwrap().len(),
        0,
        "{}",
        vpcs.raw
    );
}

#[test]
fn a_tenant_sees_only_its_own_pages() {
    let s = Server::start(&tempdir(), &[]);
    let (id, _, _) = partner_attachment(&s, "alice-team", json!({}), json!({}));
    let name = "alice-team-pa";
    let alice = sign_in(&s, "alice-team");
    let mallory = sign_in(&s, "mallory-team");
    let path = format!("/networking/multi-cloud-integrations/{id}?setup=1");
    let r = page(&s, &path, &alice);
    assert_eq!(r.status, 200);
    assert!(r.raw.contains(name));
    let r = page(&s, &path, &mallory);
    assert_eq!(r.status, 404, "{}", r.raw);
    assert!(!r.raw.contains(name));
    // Nor can mallory change it.
    let r = request_with(
        &s.admin,
        "POST",
        &format!("/networking/multi-cloud-integrations/{id}/destroy"),
        &[("Cookie", mallory.as_str()), FORM],
        Some(""),
    );
    assert_eq!(r.status, 404, "{}", r.raw);
    let still =
        Client::new(&s, "alice-team").get(&format!("/v2/partner_network_connect/attachments/{id}"));
    assert_eq!(
        still.body["partner_attachment"]["state"], "CREATED",
        "{}",
        still.raw
    );
}

#[test]
fn junk_cookies_and_bodies_are_refused_cleanly() {
    let s = Server::start(&tempdir(), &[]);
    for cookie in [
        "cl_do=zz",
        "cl_do=",
        "cl_do=6",
        "cl_mp=6d70742e782e312e6162",
        &format!("cl_do={}", "41".repeat(5000)),
        // A session we never signed, and one with a forged expiry.
        &format!(
            "cl_do=cls.{}.99999999999999.{}",
            "a".repeat(64),
            "b".repeat(64)
        ),
    ] {
        let r = page(&s, "/networking/vpc", cookie);
        assert_eq!(r.status, 303, "{cookie}: {}", r.raw);
    }
    let cookie = sign_in(&s, "junk-team");
    for body in ["%%%", "region=nyc3&name=%ZZ", &"a=b&".repeat(20_000)] {
        let r = request_with(
            &s.admin,
            "POST",
            "/networking/vpc/new",
            &[("Cookie", cookie.as_str()), FORM],
            Some(body),
        );
        assert!(
            matches!(r.status, 200 | 400 | 413),
            "{}: {}",
            r.status,
            r.raw
        );
    }
    // A VPC id that is no id, and one of nobody's.
    let r = page(&s, "/networking/vpc/not-a-uuid", &cookie);
    assert_eq!(r.status, 404);
    assert!(r.raw.contains("No such page"), "{}", r.raw);
    assert_eq!(
        page(
            &s,
            "/networking/vpc/00000000-0000-4000-8000-000000000000",
            &cookie
        )
        .status,
        404
    );
    // The server is fine afterwards.
    assert_eq!(page(&s, "/networking/vpc", &cookie).status, 200);
}

#[test]
fn what_a_url_carries_never_becomes_a_header_or_a_banner() {
    let s = Server::start(&tempdir(), &[]);
    // Control characters and non-ASCII in `next` fall back to the default page, never a 500.
    for next in [
        "/networking/vpc%0d%0aX-Evil:%201",
        "/networking/%7f",
        "/n%C3%A9",
    ] {
        let r = request_with(
            &s.admin,
            "POST",
            "/sign-in",
            &[FORM],
            Some(&format!("side=digitalocean&token=t-next&next={next}")),
        );
        assert_eq!(r.status, 303, "{next}: {}", r.raw);
        assert_eq!(r.header("location"), Some("/networking/vpc"), "{next}");
        assert!(r.header("x-evil").is_none());
    }
    let cookie = sign_in(&s, "t-banner");
    let c = Client::new(&s, "t-banner");
    let v = c.call(
        "POST",
        "/v2/vpcs",
        Some(json!({"name": "v1", "region": "nyc1"})),
    );
    let id = v.body["vpc"]["id"].as_str().unwrap().to_owned();
    for q in [
        "?error=Re-enter+your+token+at+evil.example",
        "?notice=evil.example",
    ] {
        let r = page(&s, &format!("/networking/vpc/{id}{q}"), &cookie);
        assert_eq!(r.status, 200);
        assert!(
            !r.raw.contains("evil.example"),
            "{q} put its words on the page"
        );
        let r = page(&s, &format!("/networking/vpc{q}"), &cookie);
        assert!(
            !r.raw.contains("evil.example"),
            "{q} put its words on the list"
        );
    }
    // A refused destroy says why on the page itself.
    let r = request_with(
        &s.admin,
        "POST",
        &format!("/networking/vpc/{id}/destroy"),
        &[("Cookie", cookie.as_str()), FORM],
        Some(""),
    );
    assert_eq!(r.status, 200, "{}", r.raw);
    assert!(r.raw.contains("role=\"alert\""), "{}", r.raw);
    assert_eq!(
        c.get(&format!("/v2/vpcs/{id}")).status,
        200,
        "the default VPC stays"
    );
}

#[test]
fn a_poll_after_signing_out_takes_the_page_to_sign_in() {
    let s = Server::start(&tempdir(), &[]);
    let r = request_with(
        &s.admin,
        "GET",
        "/networking/vpc",
        &[("HX-Request", "true")],
        None,
    );
    assert_eq!(r.status, 401, "{}", r.raw);
    assert_eq!(
        r.header("hx-redirect"),
        Some("/sign-in?next=/networking/vpc")
    );
    assert!(
        !r.raw.contains("<main"),
        "no page to drop into a box: {}",
        r.raw
    );
}

/// Under `--auth strict`, a token's scopes hold in the console as in the API: a read-only
/// token can look, not create or destroy.
#[test]
fn a_read_only_token_stays_read_only_in_the_console() {
    let s = Server::start(&tempdir(), &["--auth", "strict"]);
    let mint = |scopes: &[&str]| {
        let body = json!({"team": "acme", "name": "t", "scopes": scopes}).to_string();
        let r = s.admin("POST", "/_crosslink/tokens", Some(&body));
        assert_eq!(r.status, 201, "{}", r.raw);
        r.body["token"]["value"].as_str().unwrap().to_owned()
    };
    let reader = sign_in(&s, &mint(&["vpc:read"]));
    assert_eq!(page(&s, "/networking/vpc", &reader).status, 200);
    let r = page(&s, "/networking/vpc/new", &reader);
    assert_eq!(r.status, 403, "{}", r.raw);
    assert!(r.raw.contains("vpc:create"), "{}", r.raw);
    let r = request_with(
        &s.admin,
        "POST",
        "/networking/vpc/new",
        &[("Cookie", reader.as_str()), FORM],
        Some("region=nyc3&name=sneaky"),
    );
    assert_eq!(r.status, 403, "{}", r.raw);
    assert_eq!(
        page(&s, "/networking/multi-cloud-integrations", &reader).status,
        403
    );
    // A token that is not one signs in to nothing.
    let r = request_with(
        &s.admin,
        "POST",
        "/sign-in",
        &[FORM],
        Some("side=digitalocean&token=made-up"),
    );
    assert_eq!(r.status, 200);
    assert!(r.header("set-cookie").is_none());
    assert!(r.raw.contains("Unable to authenticate you"), "{}", r.raw);
    let full = Client::new(&s, &mint(&[]));
    let vpcs = full.get("/v2/vpcs");
    assert!(vpcs.body["vpcs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["name"] != "sneaky"));
}

#[test]
fn a_session_is_signed_and_bound_to_this_server() {
    let s = Server::start(&tempdir(), &[]);
    let cookie = sign_in(&s, "bound-team");
    assert_eq!(page(&s, "/networking/vpc", &cookie).status, 200);
    // Any change to the session (its token hash, its expiry) signs it out.
    let (name, value) = cookie.split_once('=').unwrap();
    let parts: Vec<&str> = value.split('.').collect();
    assert_eq!(parts.len(), 4, "{value}");
    let other_hash = format!("{name}=cls.{}.{}.{}", "0".repeat(64), parts[2], parts[3]);
    let later = format!("{name}=cls.{}.{}9.{}", parts[1], parts[2], parts[3]);
    for forged in [other_hash, later] {
        assert_eq!(page(&s, "/networking/vpc", &forged).status, 303, "{forged}");
    }
    // Another server (another secret) does not take it.
    let other = Server::start(&tempdir(), &[]);
    assert_eq!(page(&other, "/networking/vpc", &cookie).status, 303);
}
