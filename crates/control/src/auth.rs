//! Who is calling. `open`: any well-formed token names its own team (made on first use), so
//! two tokens are two tenants. `strict`: only tokens minted by `crosslink admin tokens create`.

use crate::{Control, ControlError, Result};
use crosslink_domain::{DomainError, TeamId};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    Open,
    Strict,
}

impl std::str::FromStr for AuthMode {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "open" => Ok(Self::Open),
            "strict" => Ok(Self::Strict),
            _ => Err(format!("auth mode must be 'open' or 'strict', not '{s}'")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub team: TeamId,
    /// `None`: every scope (open mode). Otherwise DigitalOcean scopes like `vpc:read`.
    pub scopes: Option<Vec<String>>,
    /// Stable, non-secret key for per-token rate limiting.
    pub token_key: String,
}

impl Principal {
    pub fn require(&self, scope: &str) -> Result<()> {
        match &self.scopes {
            None => Ok(()),
            Some(s) if s.iter().any(|have| have == scope || have == "*") => Ok(()),
            Some(_) => Err(ControlError::MissingScope(scope.to_owned())),
        }
    }
}

/// What `GET /v2/account` says about the caller (`doctl account get`, Terraform's
/// `digitalocean_account` data source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Stable per team, 40 hex digits like DigitalOcean's.
    pub uuid: String,
    /// The same identity as a number (token introspection's `resource_owner_id`).
    pub owner_id: u64,
    pub team_name: String,
    pub email: String,
}

/// The account behind a team; a twin has no users, so the team stands for one.
pub fn account_of(team: &TeamId) -> Account {
    let uuid = hash_token(&team.0)[..40].to_owned();
    Account {
        owner_id: u64::from_str_radix(&uuid[..12], 16).unwrap_or_default(),
        uuid,
        team_name: team.0.clone(),
        email: format!("{}@crosslink.invalid", team.0),
    }
}

const RESOURCES: &[&str] = &[
    "vpc",
    "vpc_peering",
    "regions",
    "account",
    "partner_network_connect",
];
/// DigitalOcean's actions; `write` and `view_credentials` are Partner Network Connect's.
const ACTIONS: &[&str] = &[
    "create",
    "read",
    "update",
    "delete",
    "write",
    "view_credentials",
];

pub(crate) fn validate_scope(scope: &str) -> Result<()> {
    let ok = scope == "*"
        || scope
            .split_once(':')
            .is_some_and(|(r, a)| RESOURCES.contains(&r) && ACTIONS.contains(&a));
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(format!(
            "unknown scope '{scope}'; scopes look like vpc:read or vpc_peering:create"
        ))
        .into())
    }
}

pub(crate) fn hash_token(value: &str) -> String {
    hex(&Sha256::digest(value.as_bytes()))
}

/// Compares two hex digests in constant time.
pub(crate) fn same_digest(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `bytes` random bytes as hex: generated keys (a BGP auth key the user did not choose).
pub(crate) fn new_secret(bytes: usize) -> Result<String> {
    let mut raw = vec![0u8; bytes];
    getrandom::fill(&mut raw).map_err(|e| ControlError::Internal(format!("no randomness: {e}")))?;
    Ok(hex(&raw))
}

pub(crate) fn new_token_value() -> Result<String> {
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| ControlError::Internal(format!("no randomness: {e}")))?;
    Ok(format!("dop_v1_{}", hex(&raw)))
}

pub(crate) async fn authenticate(control: &Control, bearer: Option<&str>) -> Result<Principal> {
    let token = bearer
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 512);
    let Some(token) = token else {
        return Err(ControlError::Unauthenticated);
    };
    principal_of(control, &hash_token(token)).await
}

/// The principal behind a token, from its hash (all a session keeps of it).
async fn principal_of(control: &Control, hash: &str) -> Result<Principal> {
    let token_key = hash[..32].to_owned();
    match control.auth {
        AuthMode::Open => Ok(Principal {
            team: TeamId(format!("team-{}", &hash[..16])),
            scopes: None,
            token_key,
        }),
        AuthMode::Strict => match control.store.find_token(hash).await? {
            Some(t) => Ok(Principal {
                team: t.team,
                scopes: Some(t.scopes).filter(|s| !s.is_empty()),
                token_key,
            }),
            None => Err(ControlError::Unauthenticated),
        },
    }
}

/// How long a console sign-in lasts.
pub const CONSOLE_SESSION_SECS: u64 = 12 * 3600;
const CONSOLE_PREFIX: &str = "cls.";

impl Control {
    /// A console session for a DigitalOcean token: the token's hash and an expiry, signed with
    /// the server's secret. The browser never keeps the token itself, and a stolen cookie is
    /// good for the console, for hours, not for the API, for ever. Each use checks the token
    /// again (`--auth strict`: it must still exist, with its scopes).
    pub async fn console_session(&self, token: &str) -> Result<String> {
        let token = token.trim();
        self.authenticate(Some(token)).await?;
        let signed = self.sign_subject(&hash_token(token), CONSOLE_SESSION_SECS)?;
        Ok(format!("{CONSOLE_PREFIX}{signed}"))
    }

    /// The principal behind a console session, if it is ours and unexpired.
    pub async fn console_principal(&self, session: &str) -> Result<Principal> {
        let signed = session
            .strip_prefix(CONSOLE_PREFIX)
            .ok_or(ControlError::Unauthenticated)?;
        let hash = self.signed_subject(signed)?;
        if hash.len() != 64 {
            return Err(ControlError::Unauthenticated);
        }
        principal_of(self, hash).await
    }
}

/// The admin API's one credential. Only its hash is held, and a presented token is compared
/// in constant time, so neither memory nor timing gives it away.
#[derive(Clone)]
pub struct AdminToken {
    hash: [u8; 32],
}

impl AdminToken {
    pub fn new(value: &str) -> Self {
        Self {
            hash: Sha256::digest(value.as_bytes()).into(),
        }
    }

    /// A fresh random token value (for the first start of a data directory).
    pub fn generate() -> Result<String> {
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw)
            .map_err(|e| ControlError::Internal(format!("no randomness: {e}")))?;
        Ok(format!("crosslink_admin_{}", hex(&raw)))
    }

    pub fn verify(&self, presented: &str) -> bool {
        let other: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        self.hash
            .iter()
            .zip(other.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(..)")
    }
}

#[cfg(test)]
mod admin_token_tests {
    use super::*;

    #[test]
    fn verifies_only_its_own_value() {
        let value = AdminToken::generate().unwrap();
        let token = AdminToken::new(&value);
        assert!(token.verify(&value));
        assert!(!token.verify(""));
        assert!(!token.verify(&format!("{value}x")));
        assert!(!format!("{token:?}").contains(&value));
    }
}
