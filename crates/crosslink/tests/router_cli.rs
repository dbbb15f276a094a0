//! `crosslink router` refuses bad flags and config files before starting anything: exit code 2
//! and one `Error:` line that says what is wrong, never quoting a password. No root needed.

use std::path::PathBuf;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_crosslink");
const SECRET: &str = "never-print-this-s3cret";

fn router(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("router")
        .args(args)
        .env("CL_TEST_PW", SECRET)
        .env("CL_TEST_LONG_PW", "x".repeat(81))
        .output()
        .expect("run crosslink router")
}

/// Asserts exit code 2 and an stderr mentioning every one of `needles`; returns stderr.
fn refused(args: &[&str], needles: &[&str]) -> String {
    let out = router(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?}: expected exit 2, got {}; stderr: {stderr}",
        out.status
    );
    for n in needles {
        assert!(stderr.contains(n), "{args:?}: stderr lacks {n:?}: {stderr}");
    }
    assert!(
        !stderr.contains(SECRET) && !stdout.contains(SECRET),
        "password printed: {stderr}"
    );
    assert!(
        stdout.is_empty(),
        "printed events before refusing: {stdout}"
    );
    stderr
}

struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("crosslink-router-cli-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, content: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, content).unwrap();
        path.to_str().unwrap().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const BASE: [&str; 4] = ["--asn", "64532", "--router-id", "169.254.0.1"];

fn with_base(extra: &[&str]) -> Vec<String> {
    BASE.iter().chain(extra).map(|s| s.to_string()).collect()
}

fn refused_base(extra: &[&str], needles: &[&str]) -> String {
    let args = with_base(extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    refused(&args, needles)
}

#[test]
fn bad_flags_exit_2_with_reason() {
    refused(&["--router-id", "169.254.0.1"], &["no local AS", "--asn"]);
    refused(&["--asn", "banana"], &["--asn", "not an AS number"]);
    refused(&["--asn", "4294967296"], &["not an AS number"]);
    refused(&["--asn", "23456"], &["AS_TRANS"]);
    refused(
        &["--asn", "64532", "--router-id", "0.0.0.0"],
        &["router-id", "0.0.0.0"],
    );
    refused(
        &["--asn", "64532", "--router-id", "fe80::1"],
        &["router-id", "IPv4"],
    );
    refused_base(
        &["--announce", "10.0.0.1/24"],
        &["host bits", "10.0.0.0/24"],
    );
    refused_base(&["--announce", "10.0.0.0/33"], &["not a prefix"]);
    refused_base(&["--listen", "1.2.3.4:99999"], &["--listen"]);
    refused_base(
        &["--neighbor", "169.254.0.6"],
        &["169.254.0.6", "missing asn="],
    );
    refused_base(&["--neighbor", "169.254.0.6,asn=4294967295"], &["reserved"]);
    refused_base(
        &["--neighbor", "169.254.0.6,asn=64533,wibble=1"],
        &["unknown key `wibble`", "asn="],
    );
    refused_base(
        &[
            "--neighbor",
            "169.254.0.6,asn=1",
            "--neighbor",
            "169.254.0.6,asn=2",
        ],
        &["169.254.0.6", "given twice"],
    );
    refused_base(
        &[
            "--neighbor",
            "169.254.0.6,asn=1,import=permit 10.0.0.0/8 ge 4",
        ],
        &["import", "ge 4", "out of range"],
    );
    refused_base(&["--neighbor", "169.254.0.6,asn=1,hold=1"], &["hold"]);
    refused_base(
        &["--neighbor", "169.254.0.6,asn=1,passive", "--no-listen"],
        &["passive", "--no-listen"],
    );
    // Clap's own checks exit 2 as well.
    refused_base(&["--no-such-flag"], &["--no-such-flag"]);
    refused_base(
        &["--listen", "0.0.0.0:179", "--no-listen"],
        &["--no-listen"],
    );
}

#[test]
fn passwords_are_checked_but_never_echoed() {
    let s = Scratch::new("pw");
    refused_base(
        &[
            "--neighbor",
            &format!("169.254.0.6,asn=1,password={SECRET}"),
        ],
        &["would show in `ps`", "password-file", "password-env"],
    );
    refused_base(
        &[
            "--neighbor",
            "169.254.0.6,asn=1,password-env=CL_TEST_LONG_PW",
        ],
        &["81 bytes", "at most 80"],
    );
    refused_base(
        &[
            "--neighbor",
            "169.254.0.6,asn=1,password-env=CL_TEST_UNSET_PW",
        ],
        &["CL_TEST_UNSET_PW", "not set"],
    );
    let missing = s.0.join("absent").to_str().unwrap().to_string();
    refused_base(
        &[
            "--neighbor",
            &format!("169.254.0.6,asn=1,password-file={missing}"),
        ],
        &["cannot read password file", "absent"],
    );
    let long = s.file("long", &format!("{SECRET}{}", "y".repeat(80)));
    refused_base(
        &[
            "--neighbor",
            &format!("169.254.0.6,asn=1,password-file={long}"),
        ],
        &["at most 80"],
    );
    // A password in the file, next to a mistake elsewhere: the message names the mistake only.
    let conf = s.file(
        "pw.toml",
        &format!(
            "asn = 64532\nrouter_id = \"169.254.0.1\"\n[[neighbor]]\naddress = \"169.254.0.6\"\nasn = 133937\npassword = \"{SECRET}\"\nhold = 2\n"
        ),
    );
    refused(&["--config", &conf], &["hold"]);
    let conf = s.file(
        "pwtype.toml",
        "asn = 64532\n[[neighbor]]\naddress = \"169.254.0.6\"\nasn = 1\npassword = 8675309\n",
    );
    let e = refused(
        &["--config", &conf],
        &["password", "quoted string", "line 5"],
    );
    assert!(!e.contains("8675309"), "{e}");
}

#[test]
fn bad_config_files_exit_2_with_reason() {
    let s = Scratch::new("toml");
    let conf = s.file(
        "unknown.toml",
        "asn = 64532\nrouter_id = \"1.1.1.1\"\ncolor = \"red\"\n",
    );
    refused(&["--config", &conf], &["unknown field `color`", "line 3"]);
    let conf = s.file(
        "nkey.toml",
        "asn = 64532\nrouter_id = \"1.1.1.1\"\n[[neighbor]]\naddress = \"169.254.0.6\"\nasn = 1\nholdtime = 9\n",
    );
    refused(&["--config", &conf], &["unknown field `holdtime`", "hold"]);
    let conf = s.file("syntax.toml", "asn = 64532\nrouter_id = \n");
    refused(&["--config", &conf], &["syntax.toml", "line 2"]);
    let conf = s.file(
        "dup.toml",
        "asn = 64532\nrouter_id = \"1.1.1.1\"\n[[neighbor]]\naddress = \"169.254.0.6\"\nasn = 1\n[[neighbor]]\naddress = \"169.254.0.6\"\nasn = 2\n",
    );
    refused(&["--config", &conf], &["169.254.0.6", "given twice"]);
    let conf = s.file("asn.toml", "asn = -5\nrouter_id = \"1.1.1.1\"\n");
    refused(&["--config", &conf], &["asn", "not an AS number"]);
    refused(
        &["--config", "/nonexistent/router.toml"],
        &["cannot read config file"],
    );
    let prefixes = s.file(
        "prefixes.txt",
        "10.0.0.0/24\n# comment\n\n10.0.1.0/24\nbogus\n",
    );
    refused_base(
        &["--announce-file", &prefixes],
        &["prefixes.txt line 5", "bogus"],
    );
}
