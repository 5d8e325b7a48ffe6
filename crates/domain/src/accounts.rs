//! Accounts: creation, sign-in to the web app, password changes.

use std::net::IpAddr;

use secrecy::SecretString;

use crate::account_password::{self, AccountPassword};
use crate::core::Core;
use crate::email::{Email, Login};
use crate::error::{DomainError, Result};
use crate::ids::AccountId;
use crate::model::{Account, Address};
use crate::sign_in_log::{self, Reason, Via};
use crate::two_step::TwoStep;

/// What a right account password leads to.
#[derive(Debug)]
pub enum SignIn {
    /// Signed in.
    Done(Account),
    /// Right, and the account wants a code from its authenticator app next.
    CodeRequired(Account),
}

/// The account made on the first start, with its password to print once.
pub struct FirstAccount {
    pub account: Account,
    pub address: Address,
    pub password: SecretString,
}

impl Core {
    /// Creates an account with a password chosen by its owner.
    pub async fn create_account(
        &self,
        login: &Login,
        password: AccountPassword,
    ) -> Result<Account> {
        if self.store.account_by_login(login).await?.is_some() {
            return Err(DomainError::Conflict(format!(
                "account {login} already exists"
            )));
        }
        let hash = account_password::hash(password).await?;
        self.store
            .create_account(login, &hash, self.clock.now())
            .await
    }

    /// On a store with no account yet, creates `admin@<domain>` with that address and a
    /// generated password. Returns `None` when accounts already exist.
    pub async fn bootstrap(&self, domain: &str) -> Result<Option<FirstAccount>> {
        if self.store.count_accounts().await? > 0 {
            return Ok(None);
        }
        let email = Email::parse(&format!("admin@{domain}"))?;
        let login = Login::parse(email.as_str())?;
        let (password, shown) = AccountPassword::generate()?;
        let account = self.create_account(&login, password).await?;
        let address = self
            .store
            .create_address(&email, account.id, self.clock.now())
            .await?;
        Ok(Some(FirstAccount {
            account,
            address,
            password: shown,
        }))
    }

    /// Checks the account password of a web sign-in made `via` the form, the API, a
    /// re-authentication or a password change. Unknown logins cost the same as wrong
    /// passwords, and every failure is the same `AuthFailed`; a throttled source gets
    /// `Throttled`. Failures are logged, and so is a success that opens a web session. An
    /// account with two-step verification wants a code next ([`Core::check_code`]).
    pub async fn sign_in(
        &self,
        login: &str,
        password: &str,
        ip: IpAddr,
        via: Via,
    ) -> Result<SignIn> {
        let Some(attempt) = self.throttle.begin(ip, login) else {
            sign_in_log::failed(via, ip, login, Reason::Throttled);
            self.throttle.pause_after_refusal(login).await;
            return Err(DomainError::Throttled);
        };
        let record = match Login::parse(login) {
            Ok(l) => self.store.account_by_login(&l).await?,
            Err(_) => None,
        };
        let ok = match AccountPassword::parse_attempt(password) {
            Ok(p) => {
                account_password::verify(p, record.as_ref().map(|r| r.password_hash.clone())).await
            }
            Err(_) => false,
        };
        match record {
            Some(r) if ok => {
                attempt.success();
                if self.two_step(r.account.id).await? == TwoStep::Off {
                    sign_in_log::succeeded(via, ip, login);
                    Ok(SignIn::Done(r.account))
                } else {
                    Ok(SignIn::CodeRequired(r.account))
                }
            }
            _ => {
                sign_in_log::failed(via, ip, login, Reason::WrongPassword);
                attempt.failure().await;
                Err(DomainError::AuthFailed)
            }
        }
    }

    /// A sign-in in one request: the password, then the code when the account asks for one
    /// (`CodeRequired` when it is missing).
    pub async fn sign_in_with_code(
        &self,
        login: &str,
        password: &str,
        code: Option<&str>,
        ip: IpAddr,
        via: Via,
    ) -> Result<Account> {
        match self.sign_in(login, password, ip, via).await? {
            SignIn::Done(account) => Ok(account),
            SignIn::CodeRequired(account) => {
                let code = code
                    .filter(|c| !c.trim().is_empty())
                    .ok_or(DomainError::CodeRequired)?;
                self.check_code(&account, code, ip, via).await?;
                Ok(account)
            }
        }
    }

    /// Confirms an account's password again (re-authentication, `via` the web app or the
    /// API), with a code when two-step verification is on; `AuthFailed` if wrong.
    pub async fn confirm_password(
        &self,
        account: AccountId,
        password: &str,
        code: Option<&str>,
        ip: IpAddr,
        via: Via,
    ) -> Result<()> {
        let login = self.account(account).await?.login;
        self.sign_in_with_code(login.as_str(), password, code, ip, via)
            .await
            .map(|_| ())
    }

    /// Changes an account's password after checking the current one.
    pub async fn change_password(
        &self,
        account: AccountId,
        current: &str,
        new: &str,
        ip: IpAddr,
    ) -> Result<()> {
        let new = AccountPassword::parse_new(new)?;
        // The session that asks already passed two-step verification: the password is enough.
        let login = self.account(account).await?.login;
        self.sign_in(login.as_str(), current, ip, Via::PasswordChange)
            .await?;
        let hash = account_password::hash(new).await?;
        self.store.set_account_password(account, &hash).await?;
        sign_in_log::password_changed(ip, login.as_str());
        Ok(())
    }

    /// An account by id, for a web session.
    pub async fn account(&self, id: AccountId) -> Result<Account> {
        self.store
            .account(id)
            .await?
            .map(|r| r.account)
            .ok_or(DomainError::NotFound("account"))
    }
}
