//! `crosslink megaport ...` run as a subprocess against the real `crosslink serve`: what a
//! megaport-cli user sees (tables, `--output json` keys, `Error:` lines, exit codes) and what
//! reaches the server. Under `--auth open` an access key names its company.

mod common;

use common::{request, request_with, run, tempdir, Run, Server};
use serde_json::Value;

const WEST: &str = "west-company";
const EAST: &str = "east-company";

/// `crosslink megaport --base-url URL [--access-key KEY] ARGS...`.
fn mp_run(s: &Server, key: Option<&str>, args: &[&str]) -> Run {
    let mut all = vec!["megaport", "--base-url", &s.megaport];
    if let Some(k) = key {
        all.extend(["--access-key", k]);
    }
    all.extend_from_slice(args);
    run(&all)
}

/// Like `mp_run`, and it must succeed; its stdout.
fn mp(s: &Server, key: &str, args: &[&str]) -> String {
    let r = mp_run(s, Some(key), args);
    assert_eq!(r.code, 0, "{args:?} failed: {}{}", r.stderr, r.stdout);
    r.stdout
}

/// `mp` with `--output json`: the array it prints.
fn mp_json(s: &Server, key: &str, args: &[&str]) -> Vec<Value> {
    let mut all = args.to_vec();
    all.extend(["--output", "json"]);
    let out = mp(s, key, &all);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The one object of a `get`/`buy`/`create` under `--output json`.
fn one(s: &Server, key: &str, args: &[&str]) -> Value {
    let mut list = mp_json(s, key, args);
    assert_eq!(list.len(), 1, "{args:?}: {list:?}");
    list.remove(0)
}

/// Whether `v` has exactly the keys `want` (in any order: the test's serde_json sorts them).
fn has_keys(v: &Value, want: &[&str]) -> bool {
    let mut got: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = want.to_vec();
    got.sort_unstable();
    want.sort_unstable();
    got == want
}

fn headers(table: &str) -> Vec<&str> {
    table
        .lines()
        .next()
        .unwrap()
        .split("    ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

fn uid(v: &Value) -> String {
    v["uid"].as_str().unwrap().to_owned()
}

fn buy_mcr(s: &Server, key: &str, name: &str, location: &str) -> String {
    uid(&one(
        s,
        key,
        &[
            "mcr",
            "buy",
            "--name",
            name,
            "--location-id",
            location,
            "--port-speed",
            "1000",
            "--term",
            "1",
        ],
    ))
}

/// A bearer token for the company of the Basic credentials `basic_b64`, asked for as the CLI
/// does (to look at what the server stored, beyond what the CLI prints).
fn token(s: &Server, basic_b64: &str) -> String {
    let r = request_with(
        &s.megaport,
        "POST",
        "/oauth2/token?grant_type=client_credentials",
        &[("Authorization", &format!("Basic {basic_b64}"))],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.raw);
    r.body["access_token"].as_str().unwrap().to_owned()
}

#[test]
fn locations_list_table_and_json() {
    let dir = tempdir();
    let s = Server::start(&dir, &[]);

    // Public: no access key at all.
    let r = mp_run(&s, None, &["locations", "list"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        headers(&r.stdout),
        [
            "ID",
            "Name",
            "Country",
            "Metro",
            "Status",
            "MCR Available",
            "MVE Available"
        ]
    );
    let ny5 = r
        .stdout
        .lines()
        .find(|l| l.starts_with("61 "))
        .expect("location 61 listed");
    assert!(
        ny5.contains("Equinix NY5") && ny5.contains("New York") && ny5.contains("true"),
        "{ny5}"
    );

    let r = mp_run(&s, None, &["locations", "list", "--no-header"]);
    assert!(
        r.stdout.lines().next().unwrap().starts_with("61 "),
        "{}",
        r.stdout
    );

    let r = mp_run(
        &s,
        None,
        &["locations", "list", "--metro", "New York", "-o", "json"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let list: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    for l in &list {
        for k in [
            "id",
            "name",
            "country",
            "metro",
            "market",
            "status",
            "mcr_available",
        ] {
            assert!(l.get(k).is_some(), "{k} missing: {l}");
        }
        assert_eq!(l["metro"], "New York");
        assert_eq!(l["country"], "USA");
        assert_eq!(l["market"], "US");
        assert_eq!(l["status"], "Active");
        assert_eq!(l["mcr_available"], true);
    }
    assert_eq!(list[0]["id"], 61);
    assert_eq!(list[0]["name"], "Equinix NY5");
}

#[test]
fn mcr_buy_list_get_update_delete_restore() {
    let dir = tempdir();
    let s = Server::start(&dir, &[]);

    let bought = one(
        &s,
        WEST,
        &[
            "mcr",
            "buy",
            "--name",
            "west-router",
            "--location-id",
            "61",
            "--port-speed",
            "2500",
            "--term",
            "12",
            "--mcr-asn",
            "64512",
            "--diversity-zone",
            "blue",
        ],
    );
    assert!(
        has_keys(
            &bought,
            &[
                "uid",
                "name",
                "location_id",
                "provisioning_status",
                "asn",
                "speed"
            ]
        ),
        "{bought}"
    );
    let id = uid(&bought);
    assert_eq!(bought["name"], "west-router");
    assert_eq!(bought["location_id"], 61);
    assert_eq!(bought["asn"], 64512);
    assert_eq!(bought["speed"], 2500);
    // Without --mcr-asn the server's default ASN applies.
    let second = buy_mcr(&s, WEST, "second", "62");
    assert_eq!(one(&s, WEST, &["mcr", "get", &second])["asn"], 133_937);

    let table = mp(&s, WEST, &["mcr", "list"]);
    assert_eq!(
        headers(&table),
        ["UID", "Name", "Location ID", "Status", "ASN", "Speed"]
    );
    let row = table.lines().find(|l| l.starts_with(&id)).expect("listed");
    assert!(
        row.contains("west-router") && row.contains("64512"),
        "{row}"
    );
    // Another company's access key sees none of it.
    assert_eq!(mp_json(&s, EAST, &["mcr", "list"]).len(), 0);
    let r = mp_run(&s, Some(EAST), &["mcr", "get", &id]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!("Error: Could not find a service with UID {id}\n")
    );

    let got = one(&s, WEST, &["mcr", "get", &id]);
    assert_eq!(uid(&got), id);
    assert_eq!(got["provisioning_status"], "LIVE");

    let updated = one(
        &s,
        WEST,
        &["mcr", "update", &id, "--name", "renamed", "--term", "24"],
    );
    assert_eq!(updated["name"], "renamed");

    // No terminal to confirm on: refused without --force, and nothing happens.
    let r = mp_run(&s, Some(WEST), &["mcr", "delete", &id, "--now"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    assert_eq!(
        one(&s, WEST, &["mcr", "get", &id])["provisioning_status"],
        "LIVE"
    );

    // Cancel at term end, then restore.
    let r = mp_run(&s, Some(WEST), &["mcr", "delete", &id, "--force"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("end of the current billing period"),
        "{}",
        r.stderr
    );
    assert_eq!(
        one(&s, WEST, &["mcr", "get", &id])["provisioning_status"],
        "CANCELLED"
    );
    let listed: Vec<String> = mp_json(&s, WEST, &["mcr", "list"])
        .iter()
        .map(uid)
        .collect();
    assert_eq!(listed, std::slice::from_ref(&second));
    let all: Vec<String> = mp_json(&s, WEST, &["mcr", "list", "--include-inactive"])
        .iter()
        .map(uid)
        .collect();
    assert!(all.contains(&id), "{all:?}");
    mp(&s, WEST, &["mcr", "restore", &id]);
    assert_eq!(
        one(&s, WEST, &["mcr", "get", &id])["provisioning_status"],
        "LIVE"
    );

    // --now: gone from the list.
    mp(&s, WEST, &["mcr", "delete", &id, "--now", "-f"]);
    let status = one(&s, WEST, &["mcr", "get", &id])["provisioning_status"].clone();
    assert!(
        status == "CANCELLED" || status == "DECOMMISSIONED",
        "{status}"
    );
    let listed: Vec<String> = mp_json(&s, WEST, &["mcr", "list"])
        .iter()
        .map(uid)
        .collect();
    assert_eq!(listed, [second]);
}

#[test]
fn servicekeys_create_list_get_update() {
    let dir = tempdir();
    let s = Server::start(&dir, &[]);
    let mcr = buy_mcr(&s, EAST, "east-router", "71");

    let created = one(
        &s,
        EAST,
        &[
            "servicekeys",
            "create",
            "--product-uid",
            &mcr,
            "--max-speed",
            "500",
            "--description",
            "for west",
            "--active",
            "--start-date",
            "2024-01-01",
        ],
    );
    // megaport-cli's keys, then the key's state.
    assert!(
        has_keys(
            &created,
            &[
                "key_uid",
                "product_name",
                "product_uid",
                "description",
                "create_date",
                "max_speed",
                "single_use",
                "active",
                "valid"
            ]
        ),
        "{created}"
    );
    let key = created["key_uid"].as_str().unwrap().to_owned();
    assert_eq!(created["product_uid"], mcr.as_str());
    assert_eq!(created["product_name"], "east-router");
    assert_eq!(created["description"], "for west");
    assert!(
        created["create_date"].as_str().unwrap().ends_with('Z'),
        "{created}"
    );
    assert_eq!(created["active"], true);

    let table = mp(&s, EAST, &["servicekeys", "list"]);
    assert_eq!(
        headers(&table),
        [
            "Key UID",
            "Product Name",
            "Product UID",
            "Description",
            "Create Date"
        ]
    );
    assert!(
        table.contains(&key) && table.contains("for west"),
        "{table}"
    );
    let by_product = mp_json(&s, EAST, &["servicekeys", "list", "--product-uid", &mcr]);
    assert_eq!(by_product.len(), 1);
    assert_eq!(mp_json(&s, WEST, &["servicekeys", "list"]).len(), 0);

    let got = one(&s, EAST, &["servicekeys", "get", &key]);
    assert_eq!(got["key_uid"], key.as_str());
    assert_eq!(got["description"], "for west");
    // Another company can look the key up, and sees where it leads but not its notes.
    let seen = one(&s, WEST, &["servicekeys", "get", &key]);
    assert_eq!(seen["product_uid"], mcr.as_str());
    assert_eq!(seen["description"], "");

    let off = one(
        &s,
        EAST,
        &["servicekeys", "update", &key, "--active", "false"],
    );
    assert_eq!(off["active"], false);
    assert_eq!(off["valid"], false);
    assert_eq!(
        one(&s, EAST, &["servicekeys", "get", &key])["active"],
        false
    );
    // Only the flag given changes.
    let single = one(&s, EAST, &["servicekeys", "update", &key, "--single-use"]);
    assert_eq!(single["single_use"], true);
    assert_eq!(single["active"], false);

    let r = mp_run(&s, Some(EAST), &["servicekeys", "update", &key]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("Error: nothing to update"),
        "{}",
        r.stderr
    );
    let r = mp_run(&s, Some(WEST), &["servicekeys", "update", &key, "--active"]);
    assert_eq!(r.code, 1, "another company cannot change the key");
    assert!(r.stderr.starts_with("Error: "), "{}", r.stderr);
}

#[test]
fn vxc_between_own_products() {
    let dir = tempdir();
    let s = Server::start(&dir, &[]);
    let a = buy_mcr(&s, WEST, "a-router", "61");
    let b = buy_mcr(&s, WEST, "b-router", "62");

    let vxc = one(
        &s,
        WEST,
        &[
            "vxc",
            "buy",
            "--a-end-uid",
            &a,
            "--b-end-uid",
            &b,
            "--name",
            "inside",
            "--rate-limit",
            "100",
            "--term",
            "1",
            "--a-end-vlan",
            "100",
            "--b-end-vlan",
            "200",
            "--interface-ip",
            "169.254.0.6/29",
            "--peer-ip",
            "169.254.0.1",
            "--peer-asn",
            "64532",
            "--bgp-password",
            "s3cret",
        ],
    );
    assert!(
        has_keys(
            &vxc,
            &[
                "uid",
                "name",
                "a_end_uid",
                "b_end_uid",
                "a_end_vlan",
                "b_end_vlan",
                "rate_limit",
                "status"
            ]
        ),
        "{vxc}"
    );
    let id = uid(&vxc);
    assert_eq!(vxc["name"], "inside");
    assert_eq!(vxc["a_end_uid"], a.as_str());
    assert_eq!(vxc["b_end_uid"], b.as_str());
    assert_eq!(vxc["a_end_vlan"], 100);
    assert_eq!(vxc["b_end_vlan"], 200);
    assert_eq!(vxc["rate_limit"], 100);

    // The interface and BGP flags reached the A-End as one interface with one session whose
    // local address is the interface's without its mask.
    let t = token(&s, "d2VzdC1jb21wYW55Og=="); // base64("west-company:")
    let raw = request(
        &s.megaport,
        "GET",
        &format!("/v2/product/{id}"),
        Some(&t),
        None,
    );
    assert_eq!(raw.status, 200, "{}", raw.raw);
    let csp = &raw.body["data"]["resources"]["csp_connection"];
    assert_eq!(csp.as_array().unwrap().len(), 1, "{csp}");
    let iface = &csp[0]["interfaces"][0];
    assert_eq!(iface["ipAddresses"][0], "169.254.0.6/29");
    let bgp = &iface["bgpConnections"];
    assert_eq!(bgp.as_array().unwrap().len(), 1, "{bgp}");
    assert_eq!(bgp[0]["localIpAddress"], "169.254.0.6");
    assert_eq!(bgp[0]["peerIpAddress"], "169.254.0.1");
    assert_eq!(bgp[0]["peerAsn"], 64532);
    assert_eq!(bgp[0]["password"], "s3cret");

    // Listed under both MCRs' associatedVxcs, shown once.
    let table = mp(&s, WEST, &["vxc", "list"]);
    assert_eq!(
        headers(&table),
        [
            "UID",
            "Name",
            "A End UID",
            "B End UID",
            "A End VLAN",
            "B End VLAN",
            "Rate Limit",
            "Status"
        ]
    );
    assert_eq!(table.matches(&id).count(), 1, "{table}");
    let listed = mp_json(&s, WEST, &["vxc", "list"]);
    assert_eq!(listed.len(), 1);
    assert_eq!(uid(&listed[0]), id);

    let updated = one(
        &s,
        WEST,
        &[
            "vxc",
            "update",
            &id,
            "--name",
            "inside-2",
            "--rate-limit",
            "200",
            "--b-end-vlan",
            "201",
        ],
    );
    assert_eq!(updated["name"], "inside-2");
    assert_eq!(updated["rate_limit"], 200);
    assert_eq!(updated["b_end_vlan"], 201);
    let got = one(&s, WEST, &["vxc", "get", &id]);
    assert_eq!(got["name"], "inside-2");
    assert_eq!(got["a_end_vlan"], 100);
    assert_eq!(got["b_end_vlan"], 201);

    // A VXC is not an MCR, and the other way round.
    let r = mp_run(&s, Some(WEST), &["mcr", "get", &id]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("is not an MCR"), "{}", r.stderr);
    let r = mp_run(&s, Some(WEST), &["vxc", "get", &a]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("is not a VXC"), "{}", r.stderr);

    mp(&s, WEST, &["vxc", "delete", &id, "--force"]);
    assert!(mp_json(&s, WEST, &["vxc", "list"]).is_empty());
}

#[test]
fn vxc_with_a_service_key_from_another_company() {
    let dir = tempdir();
    let s = Server::start(&dir, &[]);
    let east_mcr = buy_mcr(&s, EAST, "east-router", "71");
    let key = one(
        &s,
        EAST,
        &[
            "servicekeys",
            "create",
            "--product-uid",
            &east_mcr,
            "--max-speed",
            "500",
            "--active",
        ],
    )["key_uid"]
        .as_str()
        .unwrap()
        .to_owned();
    let west_mcr = buy_mcr(&s, WEST, "west-router", "72");

    // Over the key's speed cap: the server's message, exit 1.
    let r = mp_run(
        &s,
        Some(WEST),
        &[
            "vxc",
            "buy",
            "--a-end-uid",
            &west_mcr,
            "--service-key",
            &key,
            "--name",
            "too-fast",
            "--rate-limit",
            "600",
            "--term",
            "1",
        ],
    );
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "Error: Validation failed rateLimit 600 Mbps exceeds the service key's limit of 500 Mbps\n"
    );

    // The key's product becomes the B-End without --b-end-uid.
    let vxc = one(
        &s,
        WEST,
        &[
            "vxc",
            "buy",
            "--a-end-uid",
            &west_mcr,
            "--service-key",
            &key,
            "--name",
            "to-east",
            "--rate-limit",
            "200",
            "--term",
            "1",
        ],
    );
    let id = uid(&vxc);
    assert_eq!(vxc["a_end_uid"], west_mcr.as_str());
    assert_eq!(vxc["b_end_uid"], east_mcr.as_str());
    assert_eq!(vxc["rate_limit"], 200);
    // East sees it on its MCR.
    let east_view = mp_json(&s, EAST, &["vxc", "list"]);
    assert_eq!(east_view.len(), 1, "{east_view:?}");
    assert_eq!(uid(&east_view[0]), id);

    // A VLAN change on a partnership waits for the partner.
    let r = mp_run(
        &s,
        Some(WEST),
        &["vxc", "update", &id, "--a-end-vlan", "300"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("approval"), "{}", r.stderr);
    assert_ne!(one(&s, WEST, &["vxc", "get", &id])["a_end_vlan"], 300);
    let pending = mp_json(&s, EAST, &["vxc", "approvals", "list"]);
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0]["status"], "PENDING");
    assert_eq!(pending[0]["vxc_uid"], id.as_str());
    let approval = uid(&pending[0]);
    let r = mp_run(&s, Some(WEST), &["vxc", "approvals", "approve", &approval]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "Error: Only the partner asked to approve the change can approve or reject it\n"
    );
    let decided = one(&s, EAST, &["vxc", "approvals", "approve", &approval]);
    assert_eq!(decided["status"], "APPROVED");
    assert_eq!(one(&s, WEST, &["vxc", "get", &id])["a_end_vlan"], 300);

    // Only the A-End owner cancels.
    let r = mp_run(&s, Some(EAST), &["vxc", "delete", &id, "-f"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("Error: Only the owner"),
        "{}",
        r.stderr
    );
    mp(&s, WEST, &["vxc", "delete", &id, "-f"]);
    assert!(mp_json(&s, EAST, &["vxc", "list"]).is_empty());
}

#[test]
fn errors_print_the_servers_message() {
    let dir = tempdir();
    let s = Server::start(&dir, &[]);
    let r = mp_run(
        &s,
        Some(WEST),
        &[
            "mcr",
            "buy",
            "--name",
            "nowhere",
            "--location-id",
            "9999",
            "--port-speed",
            "1000",
            "--term",
            "1",
        ],
    );
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "Error: Validation failed locationId 9999 is not a known location\n"
    );
    assert_eq!(r.stdout, "");
    assert!(mp_json(&s, WEST, &["mcr", "list"]).is_empty());

    // The same under --output json.
    let r = mp_run(
        &s,
        Some(WEST),
        &["vxc", "get", "not-a-uid", "--output", "json"],
    );
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "Error: Could not find a service with UID not-a-uid\n"
    );

    // Authenticated commands need an access key.
    let r = mp_run(&s, None, &["mcr", "list"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("Error: an access key is required"),
        "{}",
        r.stderr
    );
}

#[test]
fn strict_auth_uses_the_key_pair_from_the_environment() {
    let dir = tempdir();
    let s = Server::start(&dir, &["--auth", "strict"]);
    let created = run(&[
        "admin",
        "--admin-url",
        &s.admin,
        "--admin-token",
        &s.admin_token,
        "megaport-keys",
        "create",
        "--company",
        "Acme",
    ]);
    assert_eq!(created.code, 0, "{}", created.stderr);
    let words: Vec<&str> = created.stdout.split_whitespace().collect();
    let (access, secret) = (words[0], words[1]);

    let with_env = |secret: &str, args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_crosslink"))
            .arg("megaport")
            .args(args)
            .env("MEGAPORT_BASE_URL", &s.megaport)
            .env("MEGAPORT_ACCESS_KEY", access)
            .env("MEGAPORT_SECRET_KEY", secret)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, out, err) = with_env(
        secret,
        &[
            "mcr",
            "buy",
            "--name",
            "acme-r",
            "--location-id",
            "61",
            "--port-speed",
            "1000",
            "--term",
            "1",
            "-o",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("acme-r"), "{out}");
    let (code, out, _) = with_env(secret, &["mcr", "list", "--no-header"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1, "{out}");

    let (code, _, err) = with_env("wrong", &["mcr", "list"]);
    assert_eq!(code, 1);
    assert_eq!(err, "Error: Authentication failed: invalid_client\n");
}
