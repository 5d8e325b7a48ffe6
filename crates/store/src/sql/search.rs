//! Searches answered by the database: flags and sizes from the message rows (the flags most
//! asked for have indexes of their own), header fields from `message_fields`, and text from
//! the trigram index of `message_text` (SQLite's FTS5, PostgreSQL's pg_trgm), all in one
//! query. The search index of each content is written with it and removed with it.

use postern_domain::Result;
use postern_domain::clock::from_millis;
use postern_domain::mail::{ContentId, MailboxId, Unindexed};
use postern_domain::search::{DateRel, Field, MessageIndex, Query};
use sqlx::{AssertSqlSafe, Row, Transaction, any::Any};

use super::{Backend, SqlStore, lists};
use crate::error::db;

/// Above this many UID ranges a query names its UIDs by their bounds and is checked after.
const MAX_RANGES: usize = 64;

const DAY_MS: i64 = 86_400_000;

enum Param {
    Int(i64),
    Text(String),
}

/// An SQL condition on `m` (messages) and `f` (message_fields) built from a query.
struct Compiler {
    backend: Backend,
    params: Vec<Param>,
    fields: bool,
}

impl Compiler {
    /// A placeholder for a new parameter; `$1` is the mailbox.
    fn param(&mut self, p: Param) -> String {
        self.params.push(p);
        format!("${}", self.params.len() + 1)
    }

    fn contains(&mut self, column: &str, text: &str) -> String {
        let p = self.param(Param::Text(text.to_owned()));
        match self.backend {
            Backend::Sqlite => format!("instr({column}, {p}) > 0"),
            Backend::Postgres => format!("strpos({column}, {p}) > 0"),
        }
    }

    /// Contents whose indexed text holds `text` in one of `columns`.
    fn text(&mut self, columns: &[&str], text: &str) -> String {
        let (pattern, id, op) = match self.backend {
            Backend::Sqlite => (glob_pattern(text), "rowid", "GLOB"),
            Backend::Postgres => (like_pattern(text), "content_id", "LIKE"),
        };
        let p = self.param(Param::Text(pattern));
        let test = columns
            .iter()
            .map(|c| format!("{c} {op} {p}"))
            .collect::<Vec<_>>()
            .join(" OR ");
        format!("m.content_id IN (SELECT {id} FROM message_text WHERE {test})")
    }

    fn days(&mut self, column: &str, rel: DateRel, day: i64, scale: i64) -> String {
        let start = self.param(Param::Int(day.saturating_mul(scale)));
        match rel {
            DateRel::Before => format!("{column} < {start}"),
            DateRel::Since => format!("{column} >= {start}"),
            DateRel::On => {
                let end = self.param(Param::Int(day.saturating_add(1).saturating_mul(scale)));
                format!("({column} >= {start} AND {column} < {end})")
            }
        }
    }

    /// The condition and whether it is exact (else a superset of the matches).
    fn compile(&mut self, q: &Query) -> (String, bool) {
        let exact = |sql: String| (sql, true);
        match q {
            Query::All => exact("1 = 1".into()),
            Query::And(all) if all.is_empty() => exact("1 = 1".into()),
            Query::And(all) => {
                let parts: Vec<_> = all.iter().map(|q| self.compile(q)).collect();
                let is_exact = parts.iter().all(|(_, e)| *e);
                let sql: Vec<String> = parts.into_iter().map(|(s, _)| s).collect();
                (all_of(&sql), is_exact)
            }
            Query::Or(a, b) => {
                let (a, ea) = self.compile(a);
                let (b, eb) = self.compile(b);
                (format!("({a} OR {b})"), ea && eb)
            }
            // The unset flags have indexes of their own, written this way.
            Query::Not(inner) => match inner.as_ref() {
                Query::Flag(bit) => exact(format!("(m.flags & {bit}) = 0")),
                inner => {
                    let mark = self.params.len();
                    match self.compile(inner) {
                        (sql, true) => exact(format!("NOT ({sql})")),
                        // The complement of a superset is no superset: everything is a
                        // candidate, and the parameters of the dropped condition go too.
                        (_, false) => {
                            self.params.truncate(mark);
                            ("1 = 1".into(), false)
                        }
                    }
                }
            },
            Query::Uids(ranges) if ranges.len() > MAX_RANGES => {
                let low = ranges.iter().map(|r| r.0).min().unwrap_or(0);
                let high = ranges.iter().map(|r| r.1).max().unwrap_or(0);
                (format!("m.uid BETWEEN {low} AND {high}"), false)
            }
            Query::Uids(ranges) if ranges.is_empty() => exact("1 = 0".into()),
            // UIDs are numbers: written into the statement, they cost no parameters.
            Query::Uids(ranges) => exact(format!(
                "({})",
                ranges
                    .iter()
                    .map(|(low, high)| format!("m.uid BETWEEN {low} AND {high}"))
                    .collect::<Vec<_>>()
                    .join(" OR ")
            )),
            Query::Flag(bit) => exact(format!("(m.flags & {bit}) <> 0")),
            Query::Keyword(k) => {
                let wanted = format!(" {} ", k.to_ascii_lowercase());
                let sql = self.contains("(' ' || lower(m.keywords) || ' ')", &wanted);
                exact(sql)
            }
            Query::Larger(n) => {
                let p = self.param(Param::Int(*n));
                exact(format!("m.size > {p}"))
            }
            Query::Smaller(n) => {
                let p = self.param(Param::Int(*n));
                exact(format!("m.size < {p}"))
            }
            Query::Arrived(rel, day) => exact(self.days("m.internal_date", *rel, *day, DAY_MS)),
            Query::Sent(rel, day) => {
                self.fields = true;
                exact(self.days("f.sent_day", *rel, *day, 1))
            }
            Query::Field(field, text) => {
                self.fields = true;
                let column = match field {
                    Field::Subject => "f.subject",
                    Field::From => "f.from_text",
                    Field::To => "f.to_text",
                    Field::Cc => "f.cc_text",
                    Field::Bcc => "f.bcc_text",
                };
                exact(self.contains(column, text))
            }
            // A header the store does not keep: every message is a candidate.
            Query::Header(..) => ("1 = 1".into(), false),
            Query::Body(text) => exact(self.text(&["body"], text)),
            Query::Text(text) => exact(self.text(&["headers", "body"], text)),
        }
    }
}

/// The conditions joined by AND as a balanced tree: SQLite refuses expressions more than
/// 1,000 levels deep, and a flat chain of a thousand criteria would be that deep.
fn all_of(conditions: &[String]) -> String {
    match conditions {
        [] => "1 = 1".into(),
        [one] => format!("({one})"),
        _ => {
            let (left, right) = conditions.split_at(conditions.len() / 2);
            format!("({} AND {})", all_of(left), all_of(right))
        }
    }
}

/// A GLOB pattern finding `text` anywhere: `*`, `?` and `[` stand for themselves.
fn glob_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('*');
    for c in text.chars() {
        match c {
            '*' | '?' | '[' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out.push('*');
    out
}

/// A LIKE pattern finding `text` anywhere (PostgreSQL's escape character is `\`).
fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The messages of a mailbox matching a query: UIDs ascending, and whether exactly.
pub(super) async fn search(
    store: &SqlStore,
    mailbox: MailboxId,
    query: &Query,
) -> Result<(Vec<u32>, bool)> {
    let mut c = Compiler {
        backend: store.backend,
        params: Vec::new(),
        fields: false,
    };
    let (condition, exact) = c.compile(query);
    let join = if c.fields {
        " LEFT JOIN message_fields f ON f.content_id = m.content_id"
    } else {
        ""
    };
    let list = lists::json_list(store.backend, "m.uid", "m.uid");
    let sql =
        format!("SELECT {list} FROM messages m{join} WHERE m.mailbox_id = $1 AND {condition}");
    let mut q = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql)).bind(mailbox.0);
    for p in c.params {
        q = match p {
            Param::Int(v) => q.bind(v),
            Param::Text(v) => q.bind(v),
        };
    }
    let json = q.fetch_one(&store.reader).await.map_err(db)?;
    Ok((lists::parse::<u32>(&json, "UID list")?, exact))
}

/// PostgreSQL keeps no NUL in text.
fn text_value(s: &str) -> String {
    s.replace('\0', "\u{fffd}")
}

/// Writes the search index of a content.
pub(super) async fn save(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    content: i64,
    index: &MessageIndex,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO message_fields (content_id, subject, from_text, to_text, cc_text, bcc_text, \
         sent_day, message_id, in_reply_to, refs) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(content)
    .bind(text_value(&index.subject))
    .bind(text_value(&index.from))
    .bind(text_value(&index.to))
    .bind(text_value(&index.cc))
    .bind(text_value(&index.bcc))
    .bind(index.sent_day)
    .bind(text_value(&index.message_id))
    .bind(text_value(&index.in_reply_to))
    .bind(text_value(&index.references))
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    let sql = match backend {
        Backend::Sqlite => "INSERT INTO message_text (rowid, headers, body) VALUES ($1, $2, $3)",
        Backend::Postgres => {
            "INSERT INTO message_text (content_id, headers, body) VALUES ($1, $2, $3)"
        }
    };
    sqlx::query(sql)
        .bind(content)
        .bind(text_value(&index.headers))
        .bind(text_value(&index.body))
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(())
}

/// Removes the search index of a content that is going away.
pub(super) async fn forget(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    content: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM message_fields WHERE content_id = $1")
        .bind(content)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    let sql = match backend {
        Backend::Sqlite => "DELETE FROM message_text WHERE rowid = $1",
        Backend::Postgres => "DELETE FROM message_text WHERE content_id = $1",
    };
    sqlx::query(sql)
        .bind(content)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(())
}

pub(super) async fn unindexed(store: &SqlStore, limit: u32) -> Result<Vec<Unindexed>> {
    sqlx::query(
        "SELECT c.id, c.content, \
         (SELECT MIN(m.internal_date) FROM messages m WHERE m.content_id = c.id) AS arrived \
         FROM message_contents c \
         WHERE NOT EXISTS (SELECT 1 FROM message_fields f WHERE f.content_id = c.id) \
         ORDER BY c.id LIMIT $1",
    )
    .bind(i64::from(limit))
    .fetch_all(&store.reader)
    .await
    .map_err(db)?
    .iter()
    .map(|r| {
        let arrived: Option<i64> = r.try_get("arrived").map_err(db)?;
        Ok(Unindexed {
            id: ContentId(r.try_get("id").map_err(db)?),
            content: r.try_get("content").map_err(db)?,
            internal_date: from_millis(arrived.unwrap_or(0)),
        })
    })
    .collect()
}

pub(super) async fn save_unindexed(
    store: &SqlStore,
    content: ContentId,
    index: &MessageIndex,
) -> Result<()> {
    let mut tx = store.begin_write().await?;
    let indexed = sqlx::query("SELECT 1 FROM message_fields WHERE content_id = $1")
        .bind(content.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
        .is_some();
    let exists = sqlx::query("SELECT 1 FROM message_contents WHERE id = $1")
        .bind(content.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
        .is_some();
    // Indexed meanwhile by another node, or gone: nothing to do.
    if !indexed && exists {
        save(&mut tx, store.backend, content.0, index).await?;
    }
    tx.commit().await.map_err(db)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_find_their_text_literally() {
        assert_eq!(glob_pattern("a*b?[c"), "*a[*]b[?][[]c*");
        assert_eq!(like_pattern("50%_\\"), "%50\\%\\_\\\\%");
    }

    #[test]
    fn many_criteria_make_a_shallow_tree() {
        let conditions: Vec<String> = (0..1_000).map(|i| format!("c{i}")).collect();
        let sql = all_of(&conditions);
        let mut depth = 0usize;
        let mut deepest = 0;
        for ch in sql.chars() {
            match ch {
                '(' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                ')' => depth -= 1,
                _ => {}
            }
        }
        assert!(deepest <= 12, "{deepest}");
        assert!(sql.contains("c0") && sql.contains("c999"));
    }

    #[test]
    fn a_negated_superset_is_everything() {
        let mut c = Compiler {
            backend: Backend::Sqlite,
            params: Vec::new(),
            fields: false,
        };
        let header = Query::Header("X-Tag".into(), "a".into());
        let and = Query::And(vec![Query::Body("x".into()), header]);
        let (sql, exact) = c.compile(&Query::Not(Box::new(and)));
        assert_eq!((sql.as_str(), exact), ("1 = 1", false));
        assert!(c.params.is_empty(), "no parameter without its placeholder");
        let (_, exact) = c.compile(&Query::Not(Box::new(Query::Flag(1))));
        assert!(exact);
    }
}
