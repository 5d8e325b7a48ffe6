//! Long lists read as one row: the database folds the rows into a JSON array, in order.
//!
//! sqlx runs each SQLite connection on a worker thread and hands every result row across to
//! the async task on its own, waking it each time; a list of a hundred devices or twenty
//! thousand messages cost more in those hand-offs than in SQLite itself (BENCHMARKS.md).
//! Both databases build the array themselves: `json_group_array` on SQLite, `json_agg` on
//! PostgreSQL.

use postern_domain::Result;
use serde::de::DeserializeOwned;

use super::Backend;
use crate::error::corrupt;

/// An SQL expression: the JSON array of `element` over the selected rows, ordered by
/// `order`; `[]` when there are none.
pub(crate) fn json_list(backend: Backend, element: &str, order: &str) -> String {
    match backend {
        Backend::Sqlite => format!("json_group_array({element} ORDER BY {order})"),
        Backend::Postgres => {
            format!("COALESCE(json_agg({element} ORDER BY {order}), '[]')::text")
        }
    }
}

/// An SQL expression: the row's `columns` as one JSON array.
pub(crate) fn json_row(backend: Backend, columns: &str) -> String {
    match backend {
        Backend::Sqlite => format!("json_array({columns})"),
        Backend::Postgres => format!("json_build_array({columns})"),
    }
}

/// The list a [`json_list`] expression produced.
pub(crate) fn parse<T: DeserializeOwned>(json: &str, what: &str) -> Result<Vec<T>> {
    serde_json::from_str(json).map_err(|_| corrupt(what))
}
