//! Two-step verification of the account: after the right account password, a code from an
//! authenticator app (TOTP, RFC 6238: SHA-1, 6 digits, 30-second steps, one step of skew) or
//! one of ten single-use recovery codes.
//!
//! The TOTP secret is kept sealed (ChaCha20-Poly1305 under a key derived from the pepper, the
//! account id as associated data), so a copy of the database alone does not give it. A code
//! is accepted once: the store moves the account's last used step forward only if the new
//! one is later, in one statement, which also holds across nodes. Recovery codes are kept as
//! HMACs under the pepper and deleted when used.

use std::net::IpAddr;

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use secrecy::SecretString;
use time::OffsetDateTime;
use totp_rs::{Algorithm, Builder, Secret, Totp};
use zeroize::Zeroizing;

use crate::core::Core;
use crate::device_password::{ALPHABET, Pepper};
use crate::error::{DomainError, Result};
use crate::ids::AccountId;
use crate::model::{Account, ActivityEntry, ActivityKind};
use crate::sign_in_log::{self, Reason, Via};

/// Recovery codes made when two-step verification is turned on.
pub const RECOVERY_CODES: usize = 10;
/// Symbols of a recovery code (shown as two groups of five).
const RECOVERY_SYMBOLS: usize = 10;
const SECRET_BYTES: usize = 20;
const STEP_SECONDS: u64 = 30;
const DIGITS: usize = 6;
const ISSUER: &str = "Postern";
/// Separate the pepper's uses from each other.
const SEAL_CONTEXT: &[u8] = b"postern two-step secret key v1\0";
const RECOVERY_CONTEXT: &[u8] = b"postern recovery code v1\0";

/// The HMAC of a recovery code under the pepper: what the store keeps.
pub type RecoveryCodeHash = [u8; 32];

/// What the store keeps of an account's two-step verification.
#[derive(Clone, Debug)]
pub struct TwoStepRecord {
    /// Nonce, then the sealed secret with its tag.
    pub sealed_secret: Vec<u8>,
    /// When it was turned on; `None` while it waits for its first code.
    pub enabled_at: Option<OffsetDateTime>,
    /// Recovery codes not used yet.
    pub recovery_codes_left: usize,
}

/// Whether an account asks for a code after its password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TwoStep {
    Off,
    On {
        since: OffsetDateTime,
        recovery_codes_left: usize,
    },
}

/// A new secret for the owner's authenticator app, waiting for its first code.
pub struct TwoStepSetup {
    /// The secret in base32, to type into an app.
    pub secret: SecretString,
    /// The `otpauth://` URI a QR code carries.
    pub otpauth_uri: SecretString,
}

/// Which factor a code was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeKind {
    Totp,
    Recovery,
}

/// The key the secret is sealed with, derived from the pepper.
fn sealing_key(pepper: &Pepper) -> Result<LessSafeKey> {
    let key = Zeroizing::new(pepper.mac(SEAL_CONTEXT, &[]));
    UnboundKey::new(&CHACHA20_POLY1305, key.as_ref())
        .map(LessSafeKey::new)
        .map_err(|_| DomainError::Internal("two-step sealing key".into()))
}

fn random<const N: usize>() -> Result<Zeroizing<[u8; N]>> {
    let mut bytes = Zeroizing::new([0u8; N]);
    getrandom::fill(bytes.as_mut())
        .map_err(|e| DomainError::Internal(format!("no randomness: {e}")))?;
    Ok(bytes)
}

fn seal(pepper: &Pepper, account: AccountId, secret: &[u8]) -> Result<Vec<u8>> {
    let nonce = *random::<NONCE_LEN>()?;
    let mut sealed = secret.to_vec();
    sealing_key(pepper)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(account.0.to_be_bytes()),
            &mut sealed,
        )
        .map_err(|_| DomainError::Internal("sealing the two-step secret".into()))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(out)
}

fn open(pepper: &Pepper, account: AccountId, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let broken = || DomainError::Internal("a two-step secret that does not open".into());
    let (nonce, rest) = sealed.split_at_checked(NONCE_LEN).ok_or_else(broken)?;
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| broken())?;
    let mut buffer = Zeroizing::new(rest.to_vec());
    let plain = sealing_key(pepper)?
        .open_in_place(nonce, Aad::from(account.0.to_be_bytes()), &mut buffer)
        .map_err(|_| broken())?;
    Ok(Zeroizing::new(plain.to_vec()))
}

fn totp(secret: &[u8], login: &str) -> Result<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS as u8)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret.to_vec())
        .with_account_name(login)
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| DomainError::Internal(format!("two-step secret: {e}")))
}

/// What the owner's app needs of `secret`.
fn setup(secret: &[u8], account: &Account) -> Result<TwoStepSetup> {
    let uri = totp(secret, account.login.as_str())?
        .to_url()
        .map_err(|e| DomainError::Internal(format!("two-step URI: {e}")))?;
    Ok(TwoStepSetup {
        secret: SecretString::from(Secret::from(secret.to_vec()).to_base32()),
        otpauth_uri: SecretString::from(uri),
    })
}

/// The step a 6-digit code belongs to, among the previous, the current and the next one.
fn matching_step(totp: &Totp, code: &str, now: OffsetDateTime) -> Option<i64> {
    let step = totp.check(code, u64::try_from(now.unix_timestamp()).ok()?)?;
    i64::try_from(step).ok()
}

/// A typed code without spaces and dashes, lower case; `None` when it is no code at all.
fn normalised(code: &str) -> Option<(CodeKind, String)> {
    let kept: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if kept.len() == DIGITS && kept.bytes().all(|b| b.is_ascii_digit()) {
        Some((CodeKind::Totp, kept))
    } else if kept.len() == RECOVERY_SYMBOLS && kept.bytes().all(|b| ALPHABET.contains(&b)) {
        Some((CodeKind::Recovery, kept))
    } else {
        None
    }
}

fn recovery_hash(pepper: &Pepper, code: &str) -> RecoveryCodeHash {
    pepper.mac(RECOVERY_CONTEXT, code.as_bytes())
}

/// Ten new recovery codes, as shown (`xxxxx-xxxxx`), with what the store keeps of them.
fn new_recovery_codes(pepper: &Pepper) -> Result<(Vec<SecretString>, Vec<RecoveryCodeHash>)> {
    let mut shown = Vec::with_capacity(RECOVERY_CODES);
    let mut hashes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let bytes = random::<RECOVERY_SYMBOLS>()?;
        // 32 symbols: the low five bits of each byte are uniform.
        let code: String = bytes
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
            .collect();
        hashes.push(recovery_hash(pepper, &code));
        shown.push(SecretString::from(format!("{}-{}", &code[..5], &code[5..])));
    }
    Ok((shown, hashes))
}

impl Core {
    /// Whether the account asks for a code after its password.
    pub async fn two_step(&self, account: AccountId) -> Result<TwoStep> {
        Ok(match self.store.two_step(account).await? {
            Some(TwoStepRecord {
                enabled_at: Some(since),
                recovery_codes_left,
                ..
            }) => TwoStep::On {
                since,
                recovery_codes_left,
            },
            _ => TwoStep::Off,
        })
    }

    /// Draws a new secret, waiting for its first code; one that waited before is replaced.
    /// `Conflict` when two-step verification is already on.
    pub async fn begin_two_step(&self, account: &Account) -> Result<TwoStepSetup> {
        let secret = random::<SECRET_BYTES>()?;
        let sealed = seal(&self.pepper, account.id, secret.as_ref())?;
        if !self.store.begin_two_step(account.id, &sealed).await? {
            return Err(DomainError::Conflict(
                "two-step verification is already on".into(),
            ));
        }
        setup(secret.as_ref(), account)
    }

    /// The secret that waits for its first code, to show again (after a wrong code).
    pub async fn pending_two_step(&self, account: &Account) -> Result<Option<TwoStepSetup>> {
        match self.store.two_step(account.id).await? {
            Some(record) if record.enabled_at.is_none() => {
                let secret = open(&self.pepper, account.id, &record.sealed_secret)?;
                setup(&secret, account).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Turns two-step verification on with the first code from the app; returns the recovery
    /// codes, to show once. `NotFound` when no secret waits; a wrong code is `AuthFailed`,
    /// throttled like a password.
    pub async fn confirm_two_step(
        &self,
        account: &Account,
        code: &str,
        ip: IpAddr,
    ) -> Result<Vec<SecretString>> {
        let record = self
            .store
            .two_step(account.id)
            .await?
            .ok_or(DomainError::NotFound("two-step setup"))?;
        if record.enabled_at.is_some() {
            return Err(DomainError::Conflict(
                "two-step verification is already on".into(),
            ));
        }
        let key = throttle_key(account.login.as_str());
        let Some(attempt) = self.throttle.begin(ip, &key) else {
            self.throttle.pause_after_refusal(&key).await;
            return Err(DomainError::Throttled);
        };
        let secret = open(&self.pepper, account.id, &record.sealed_secret)?;
        let step = match normalised(code) {
            Some((CodeKind::Totp, code)) => matching_step(
                &totp(&secret, account.login.as_str())?,
                &code,
                self.clock.now(),
            ),
            _ => None,
        };
        let Some(step) = step else {
            attempt.failure().await;
            return Err(DomainError::AuthFailed);
        };
        let (shown, hashes) = new_recovery_codes(&self.pepper)?;
        let activity = self
            .account_activity(account, ActivityKind::TwoStepOn)
            .await?;
        if !self
            .store
            .enable_two_step(account.id, step, &hashes, self.clock.now(), &activity)
            .await?
        {
            attempt.failure().await;
            return Err(DomainError::AuthFailed);
        }
        attempt.success();
        tracing::info!(account = %account.login, "two-step verification turned on");
        Ok(shown)
    }

    /// Turns two-step verification off, after the account password and a code. `NotFound`
    /// when it is off.
    pub async fn turn_off_two_step(
        &self,
        account: &Account,
        password: &str,
        code: Option<&str>,
        ip: IpAddr,
        via: Via,
    ) -> Result<()> {
        if self.two_step(account.id).await? == TwoStep::Off {
            return Err(DomainError::NotFound("two-step verification"));
        }
        self.confirm_password(account.id, password, code, ip, via)
            .await?;
        self.remove_two_step(account, account.login.as_str())
            .await
            .map(|_| ())
    }

    /// Turns two-step verification off for an account whose owner lost their app and their
    /// recovery codes (the operator's `postern account reset-2fa`). False when it was off.
    pub async fn reset_two_step(&self, login: &crate::email::Login) -> Result<bool> {
        let record = self
            .store
            .account_by_login(login)
            .await?
            .ok_or(DomainError::NotFound("account"))?;
        self.remove_two_step(&record.account, "command line").await
    }

    async fn remove_two_step(&self, account: &Account, actor: &str) -> Result<bool> {
        let mut activity = self
            .account_activity(account, ActivityKind::TwoStepOff)
            .await?;
        for entry in &mut activity {
            entry.actor = actor.to_owned();
        }
        let removed = self.store.disable_two_step(account.id, &activity).await?;
        if removed {
            tracing::info!(account = %account.login, by = actor, "two-step verification turned off");
        }
        Ok(removed)
    }

    /// The second step of a sign-in (or a confirmation) of an account whose password was
    /// right: a TOTP code, accepted once, or a recovery code, used up. Throttled apart from
    /// passwords, so a right password does not clear the record of wrong codes.
    pub async fn check_code(
        &self,
        account: &Account,
        code: &str,
        ip: IpAddr,
        via: Via,
    ) -> Result<CodeKind> {
        let login = account.login.as_str();
        let key = throttle_key(login);
        let Some(attempt) = self.throttle.begin(ip, &key) else {
            sign_in_log::failed(via, ip, login, Reason::Throttled);
            self.throttle.pause_after_refusal(&key).await;
            return Err(DomainError::Throttled);
        };
        let accepted = match (normalised(code), self.store.two_step(account.id).await?) {
            (Some((CodeKind::Totp, code)), Some(record)) if record.enabled_at.is_some() => {
                let secret = open(&self.pepper, account.id, &record.sealed_secret)?;
                match matching_step(&totp(&secret, login)?, &code, self.clock.now()) {
                    Some(step) => self
                        .store
                        .use_totp_step(account.id, step)
                        .await?
                        .then_some(CodeKind::Totp),
                    None => None,
                }
            }
            (Some((CodeKind::Recovery, code)), Some(record)) if record.enabled_at.is_some() => {
                let hash = recovery_hash(&self.pepper, &code);
                self.store
                    .use_recovery_code(account.id, &hash)
                    .await?
                    .then_some(CodeKind::Recovery)
            }
            _ => None,
        };
        match accepted {
            Some(kind) => {
                attempt.success();
                sign_in_log::succeeded(via, ip, login);
                Ok(kind)
            }
            None => {
                sign_in_log::failed(via, ip, login, Reason::WrongCode);
                attempt.failure().await;
                Err(DomainError::AuthFailed)
            }
        }
    }

    /// One entry of `kind` for each address the account owns.
    pub(crate) async fn account_activity(
        &self,
        account: &Account,
        kind: ActivityKind,
    ) -> Result<Vec<ActivityEntry>> {
        let at = self.clock.now();
        Ok(self
            .store
            .addresses_of(account.id)
            .await?
            .into_iter()
            .map(|a| ActivityEntry {
                address_id: a.id,
                at,
                kind,
                device_id: None,
                device_description: None,
                actor: account.login.to_string(),
            })
            .collect())
    }
}

/// Codes are throttled under their own key, apart from the login's passwords.
fn throttle_key(login: &str) -> String {
    format!("{login} (code)")
}

/// The code of `secret` at `at`, for tests that play the authenticator app.
pub fn code_at(secret_base32: &str, at: OffsetDateTime) -> Option<String> {
    let secret = Secret::try_from_base32(secret_base32).ok()?;
    let totp = totp(secret.as_ref(), "").ok()?;
    Some(
        totp.generate(u64::try_from(at.unix_timestamp()).ok()?)
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn pepper() -> Pepper {
        Pepper::from_hex(&"ab".repeat(32)).unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_account_and_pepper() {
        let sealed = seal(&pepper(), AccountId(7), b"twenty bytes secret!").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"twenty"));
        assert_eq!(
            open(&pepper(), AccountId(7), &sealed).unwrap().as_slice(),
            b"twenty bytes secret!"
        );
        assert!(open(&pepper(), AccountId(8), &sealed).is_err());
        let other = Pepper::from_hex(&"cd".repeat(32)).unwrap();
        assert!(open(&other, AccountId(7), &sealed).is_err());
        assert!(open(&pepper(), AccountId(7), &sealed[..5]).is_err());
    }

    #[test]
    fn rfc_6238_vectors() {
        // RFC 6238, appendix B, SHA-1 (the last six digits of its eight).
        let secret = b"12345678901234567890";
        let totp = totp(secret, "ann@example.com").unwrap();
        let at = |s| OffsetDateTime::from_unix_timestamp(s).unwrap();
        assert_eq!(totp.generate(59).to_string(), "287082");
        assert_eq!(totp.generate(1_111_111_109).to_string(), "081804");
        assert_eq!(
            matching_step(&totp, "081804", at(1_111_111_109)),
            Some(37_037_036)
        );
        // One step of skew either way, no more.
        assert_eq!(
            matching_step(&totp, "081804", at(1_111_111_139)),
            Some(37_037_036)
        );
        assert_eq!(
            matching_step(&totp, "081804", at(1_111_111_079)),
            Some(37_037_036)
        );
        assert_eq!(matching_step(&totp, "081804", at(1_111_111_200)), None);
        assert_eq!(matching_step(&totp, "000000", at(1_111_111_109)), None);
    }

    #[test]
    fn codes_are_read_as_typed() {
        assert_eq!(
            normalised(" 123 456 "),
            Some((CodeKind::Totp, "123456".into()))
        );
        assert_eq!(
            normalised("AB3DE-FGH9K"),
            Some((CodeKind::Recovery, "ab3defgh9k".into()))
        );
        assert_eq!(normalised("12345"), None);
        assert_eq!(normalised("abcde-fghiu"), None, "i and u are no symbols");
        assert_eq!(normalised(""), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_kept_only_as_hashes() {
        let (shown, hashes) = new_recovery_codes(&pepper()).unwrap();
        assert_eq!(shown.len(), RECOVERY_CODES);
        let mut unique = hashes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        for (code, hash) in shown.iter().zip(&hashes) {
            let code = code.expose_secret();
            assert_eq!(code.len(), 11);
            let (_, canonical) = normalised(code).unwrap();
            assert_eq!(&recovery_hash(&pepper(), &canonical), hash);
        }
    }
}
