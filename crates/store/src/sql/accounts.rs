//! Accounts and addresses.

use async_trait::async_trait;
use postern_domain::account_password::AccountPasswordHash;
use postern_domain::clock::to_millis;
use postern_domain::mail::DEFAULT_MAILBOXES;
use postern_domain::model::{Account, AccountRecord, Address};
use postern_domain::repo::{AccountRepo, AddressRepo};
use postern_domain::{AccountId, AddressId, DomainError, Email, Login, Result};
use sqlx::Row;
use time::OffsetDateTime;

use super::{SqlStore, rows};
use crate::error::db;

#[async_trait]
impl AccountRepo for SqlStore {
    async fn create_account(
        &self,
        login: &Login,
        hash: &AccountPasswordHash,
        at: OffsetDateTime,
    ) -> Result<Account> {
        let id: i64 = sqlx::query(
            "INSERT INTO accounts (login, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(login.as_str())
        .bind(&hash.0)
        .bind(to_millis(at))
        .fetch_one(&self.writer)
        .await
        .map_err(|e| match db(e) {
            DomainError::Conflict(_) => {
                DomainError::Conflict(format!("account {login} already exists"))
            }
            other => other,
        })?
        .try_get("id")
        .map_err(db)?;
        Ok(Account {
            id: AccountId(id),
            login: login.clone(),
            created_at: at,
        })
    }

    async fn account_by_login(&self, login: &Login) -> Result<Option<AccountRecord>> {
        sqlx::query("SELECT id, login, password_hash, created_at FROM accounts WHERE login = $1")
            .bind(login.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(db)?
            .map(|r| rows::account(&r))
            .transpose()
    }

    async fn account(&self, id: AccountId) -> Result<Option<AccountRecord>> {
        sqlx::query("SELECT id, login, password_hash, created_at FROM accounts WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.reader)
            .await
            .map_err(db)?
            .map(|r| rows::account(&r))
            .transpose()
    }

    async fn set_account_password(&self, id: AccountId, hash: &AccountPasswordHash) -> Result<()> {
        sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(&hash.0)
            .bind(id.0)
            .execute(&self.writer)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn count_accounts(&self) -> Result<i64> {
        sqlx::query("SELECT count(*) AS n FROM accounts")
            .fetch_one(&self.reader)
            .await
            .map_err(db)?
            .try_get("n")
            .map_err(db)
    }
}

#[async_trait]
impl AddressRepo for SqlStore {
    async fn create_address(
        &self,
        email: &Email,
        owner: AccountId,
        at: OffsetDateTime,
    ) -> Result<Address> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO addresses (email, owner_id, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(email.as_str())
        .bind(owner.0)
        .bind(to_millis(at))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match db(e) {
            DomainError::Conflict(_) => {
                DomainError::Conflict(format!("address {email} already exists"))
            }
            other => other,
        })?
        .try_get("id")
        .map_err(db)?;
        let uidvalidity = u32::try_from(at.unix_timestamp().rem_euclid(1 << 31)).unwrap_or(1);
        for (name, special_use) in DEFAULT_MAILBOXES {
            sqlx::query(
                "INSERT INTO mailboxes (address_id, name, special_use, uidvalidity) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(name)
            .bind(special_use.map(|u| u.as_str()))
            .bind(i64::from(uidvalidity))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(Address {
            id: AddressId(id),
            email: email.clone(),
            owner,
            created_at: at,
        })
    }

    async fn address_by_email(&self, email: &Email) -> Result<Option<Address>> {
        sqlx::query("SELECT id, email, owner_id, created_at FROM addresses WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(db)?
            .map(|r| rows::address(&r))
            .transpose()
    }

    async fn address(&self, id: AddressId) -> Result<Option<Address>> {
        sqlx::query("SELECT id, email, owner_id, created_at FROM addresses WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.reader)
            .await
            .map_err(db)?
            .map(|r| rows::address(&r))
            .transpose()
    }

    async fn addresses_of(&self, owner: AccountId) -> Result<Vec<Address>> {
        sqlx::query("SELECT id, email, owner_id, created_at FROM addresses WHERE owner_id = $1 ORDER BY email")
            .bind(owner.0)
            .fetch_all(&self.reader)
            .await
            .map_err(db)?
            .iter()
            .map(rows::address)
            .collect()
    }

    async fn domain_is_hosted(&self, domain: &str) -> Result<bool> {
        // Domains hold only letters, digits, dots and dashes: no LIKE wildcard can sneak in.
        let pattern = format!("%@{}", domain.to_ascii_lowercase());
        Ok(
            sqlx::query("SELECT 1 AS one FROM addresses WHERE email LIKE $1 LIMIT 1")
                .bind(pattern)
                .fetch_optional(&self.reader)
                .await
                .map_err(db)?
                .is_some(),
        )
    }
}
