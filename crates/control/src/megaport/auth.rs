//! Who is calling the Megaport API. Tokens are signed, not stored: `POST /oauth2/token` (and
//! the legacy `/v2/login`) hand out `mpt.<company>.<expiry>.<mac>`, an HMAC-SHA256 under a
//! secret kept in the database, so every replica on the data accepts every token and a login
//! costs no write. `open`: any access key (or login name) names its company, made on first
//! use, and a bearer we did not sign names a company too. `strict`: only API keys minted
//! through the admin API, and only tokens we signed.

use crate::auth::{hash_token, new_secret};
use crate::{AuthMode, Control, ControlError, Result};
use crosslink_domain::megaport::company::{Company, CompanyUid};
use crosslink_domain::DomainError;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Lifetime of an OAuth access token (`expires_in`).
pub const TOKEN_TTL_SECS: u64 = 3600;
/// Legacy `X-Auth-Token` sessions last a working day, as scripts log in once.
const SESSION_TTL_SECS: u64 = 86_400;
const TOKEN_PREFIX: &str = "mpt.";
const SECRET_SETTING: &str = "megaport_token_secret";
/// Companies made on first use that this process already knows exist (bounded).
const KNOWN_CAP: usize = 100_000;

/// A token handed out, with what the client should know of it.
#[derive(Debug, Clone)]
pub struct MegaportSession {
    pub token: String,
    pub expires_in: u64,
    pub company: Company,
}

/// A company uid made from a name, stable across servers: UUID-shaped like Megaport's.
fn company_uid_for(name: &str) -> CompanyUid {
    let digest = Sha256::digest(format!("megaport-company:{name}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    CompanyUid(
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string(),
    )
}

/// The name an open-mode company goes by. Never the access key itself: a partner sees the
/// other end's company name, and under open auth the key is all it takes to sign in as it.
fn company_name_for(uid: &CompanyUid) -> String {
    format!("company-{}", &uid.0[..8])
}

fn bad_credentials() -> ControlError {
    ControlError::Unauthenticated
}

impl Control {
    /// Loads (or makes, once per data) the secret tokens are signed with.
    pub(crate) async fn init_token_secret(&self) -> Result<()> {
        let fresh = new_secret(32)?;
        let secret = self
            .rule(move |tx| Ok(tx.megaport().setting_or_insert(SECRET_SETTING, &fresh)?))
            .await?;
        let _ = self.token_secret.set(secret.into_bytes());
        Ok(())
    }

    fn mac(&self, payload: &str) -> Result<Hmac<Sha256>> {
        let secret = self
            .token_secret
            .get()
            .ok_or_else(|| ControlError::Internal("the token secret is not loaded".into()))?;
        let mut mac = Hmac::<Sha256>::new_from_slice(secret)
            .map_err(|e| ControlError::Internal(e.to_string()))?;
        mac.update(payload.as_bytes());
        Ok(mac)
    }

    /// `<subject>.<expiry ms>.<mac>`: what Megaport tokens and console sessions are.
    pub(crate) fn sign_subject(&self, subject: &str, ttl_secs: u64) -> Result<String> {
        let expires = self.now() + (ttl_secs as i64) * 1000;
        let payload = format!("{subject}.{expires}");
        let tag = self.mac(&payload)?.finalize().into_bytes();
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        Ok(format!("{payload}.{hex}"))
    }

    /// The subject of something [`Self::sign_subject`] made, if its mac holds and it has not
    /// expired; anything else is `Unauthenticated`.
    pub(crate) fn signed_subject<'a>(&self, signed: &'a str) -> Result<&'a str> {
        let (payload, tag) = signed.rsplit_once('.').ok_or_else(bad_credentials)?;
        let (subject, expires) = payload.split_once('.').ok_or_else(bad_credentials)?;
        let tag: Vec<u8> = (0..tag.len())
            .step_by(2)
            .filter_map(|i| {
                tag.get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .collect();
        self.mac(payload)?
            .verify_slice(&tag)
            .map_err(|_| bad_credentials())?;
        let expires: i64 = expires.parse().map_err(|_| bad_credentials())?;
        if expires <= self.now() {
            return Err(bad_credentials());
        }
        Ok(subject)
    }

    fn sign(&self, company: &Company, ttl_secs: u64) -> Result<MegaportSession> {
        Ok(MegaportSession {
            token: format!(
                "{TOKEN_PREFIX}{}",
                self.sign_subject(&company.uid.0, ttl_secs)?
            ),
            expires_in: ttl_secs,
            company: company.clone(),
        })
    }

    /// `Some(company)` for a token we signed that is still valid, `Err` for one we signed that
    /// is not, `None` for something we never signed.
    fn verify(&self, token: &str) -> Result<Option<CompanyUid>> {
        let Some(rest) = token.strip_prefix(TOKEN_PREFIX) else {
            return Ok(None);
        };
        let company = self.signed_subject(rest)?;
        Ok(Some(CompanyUid(company.to_owned())))
    }

    /// The company behind credentials: in `open` mode made on first use from the name.
    async fn company_for_credentials(&self, access_key: &str, secret: &str) -> Result<Company> {
        let access_key = access_key.trim();
        if access_key.is_empty() || access_key.len() > 256 || secret.len() > 512 {
            return Err(bad_credentials());
        }
        match self.auth {
            AuthMode::Open => self.ensure_company(access_key).await,
            AuthMode::Strict => {
                let (ak, hash) = (access_key.to_owned(), hash_token(secret));
                self.read(move |tx| {
                    let m = tx.megaport();
                    match m.api_key(&ak)? {
                        Some((stored, company)) if crate::auth::same_digest(&stored, &hash) => {
                            m.company(&company)?.ok_or_else(bad_credentials)
                        }
                        _ => Err(bad_credentials()),
                    }
                })
                .await
            }
        }
    }

    /// The company a name stands for in open mode, written on first use.
    async fn ensure_company(&self, name: &str) -> Result<Company> {
        let uid = company_uid_for(name);
        let company = Company {
            name: company_name_for(&uid),
            uid,
        };
        let known = self
            .known_companies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&company.uid.0);
        if !known {
            let (c, now) = (company.clone(), self.now());
            self.rule(move |tx| Ok(tx.megaport().insert_company(&c, now)?))
                .await?;
            let mut set = self
                .known_companies
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if set.len() >= KNOWN_CAP {
                set.clear();
            }
            set.insert(company.uid.0.clone());
        }
        Ok(company)
    }

    /// `POST /oauth2/token`, client credentials.
    pub async fn megaport_token(&self, access_key: &str, secret: &str) -> Result<MegaportSession> {
        let company = self.company_for_credentials(access_key, secret).await?;
        self.sign(&company, TOKEN_TTL_SECS)
    }

    /// Legacy `POST /v2/login`: a session for `X-Auth-Token`.
    pub async fn megaport_login(&self, username: &str, password: &str) -> Result<MegaportSession> {
        let company = self.company_for_credentials(username, password).await?;
        self.sign(&company, SESSION_TTL_SECS)
    }

    /// The company behind a bearer token or `X-Auth-Token`.
    pub async fn megaport_authenticate(&self, token: Option<&str>) -> Result<CompanyUid> {
        let token = token
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 512)
            .ok_or(ControlError::Unauthenticated)?;
        if let Some(company) = self.verify(token)? {
            return Ok(company);
        }
        match self.auth {
            AuthMode::Open => Ok(self
                .ensure_company(&format!("token-{}", &hash_token(token)[..16]))
                .await?
                .uid),
            AuthMode::Strict => Err(ControlError::Unauthenticated),
        }
    }

    /// The company's display name (the console's header).
    pub async fn megaport_company_name(&self, company: &CompanyUid) -> Result<String> {
        let uid = company.clone();
        self.read(move |tx| super::company_name(tx.megaport(), &uid))
            .await
    }

    /// Mints an API key pair for a new company (`--auth strict`); the secret is shown once and
    /// only its hash is kept.
    pub async fn create_megaport_api_key(
        &self,
        company_name: &str,
    ) -> Result<(String, String, Company)> {
        let name = company_name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(
                DomainError::invalid("company must be 1 to 64 printable characters").into(),
            );
        }
        let access_key = new_secret(16)?;
        let secret = new_secret(24)?;
        let company = Company {
            uid: CompanyUid(uuid::Uuid::new_v4().to_string()),
            name: name.to_owned(),
        };
        let (c, ak, hash, now) = (
            company.clone(),
            access_key.clone(),
            hash_token(&secret),
            self.now(),
        );
        self.rule(move |tx| {
            let m = tx.megaport();
            m.insert_company(&c, now)?;
            m.insert_api_key(&ak, &hash, &c.uid, now)?;
            Ok(())
        })
        .await?;
        Ok((access_key, secret, company))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_uids_are_stable_and_uuid_shaped() {
        let a = company_uid_for("west-company");
        assert_eq!(a, company_uid_for("west-company"));
        assert_ne!(a, company_uid_for("east-company"));
        assert!(crosslink_domain::parse_resource_id(&a.0).is_some());
    }
}
