//! Values of the configuration parsed into their types, accepting text for each of them
//! (environment variables are always text). An empty text means "not set" where a setting
//! is optional.

use std::fmt::Display;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Deserializer, de::Error};

#[derive(Deserialize)]
#[serde(untagged)]
enum NumOrText {
    Num(u64),
    Text(String),
}

/// A whole number of the field's type, also as text.
pub fn number<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64>,
{
    let n = u64(d)?;
    T::try_from(n).map_err(|_| D::Error::custom(format!("{n} is too large")))
}

/// Whole seconds.
pub fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64(d).map(Duration::from_secs)
}

/// Whole milliseconds.
pub fn millis<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64(d).map(Duration::from_millis)
}

/// A text; empty means not set.
pub fn optional_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    Ok((!text.trim().is_empty()).then_some(text))
}

/// A path; empty means not set.
pub fn optional_path<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PathBuf>, D::Error> {
    optional_text(d).map(|t| t.map(PathBuf::from))
}

/// A secret; empty means not set. It is never printed (`Debug` shows it redacted).
pub fn secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    optional_text(d).map(|t| t.map(SecretString::from))
}

/// A listening address such as `127.0.0.1:1143`; empty turns the listener off.
pub fn listener<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SocketAddr>, D::Error> {
    let Some(text) = optional_text(d)? else {
        return Ok(None);
    };
    text.trim()
        .parse()
        .map(Some)
        .map_err(|_| D::Error::custom(format!("{text:?} is not an address like 127.0.0.1:1143")))
}

/// `host:port`; empty means none.
pub fn smarthost<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let Some(text) = optional_text(d)? else {
        return Ok(None);
    };
    let port = text.rsplit_once(':').map(|(_, port)| port.parse::<u16>());
    match port {
        Some(Ok(_)) => Ok(Some(text.trim().to_owned())),
        _ => Err(D::Error::custom(format!("{text:?} is not host:port"))),
    }
}

/// Any value with a text form of its own (`FromStr`), such as the retry schedule.
pub fn parsed<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    String::deserialize(d)?.parse().map_err(D::Error::custom)
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ListOrText {
    List(Vec<String>),
    Text(String),
}

/// Texts as a TOML array or as comma-separated text (from the environment); blanks dropped.
pub fn text_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let items = match ListOrText::deserialize(d)? {
        ListOrText::List(items) => items,
        ListOrText::Text(text) => text.split(',').map(str::to_owned).collect(),
    };
    Ok(items
        .iter()
        .map(|i| i.trim())
        .filter(|i| !i.is_empty())
        .map(str::to_owned)
        .collect())
}

/// IP addresses as a TOML array or as comma-separated text (from the environment).
pub fn ip_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<std::net::IpAddr>, D::Error> {
    let items = match ListOrText::deserialize(d)? {
        ListOrText::List(items) => items,
        ListOrText::Text(text) => text.split(',').map(str::to_owned).collect(),
    };
    items
        .iter()
        .map(|i| i.trim())
        .filter(|i| !i.is_empty())
        .map(|i| {
            i.parse()
                .map_err(|_| D::Error::custom(format!("{i:?} is not an IP address")))
        })
        .collect()
}

fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match NumOrText::deserialize(d)? {
        NumOrText::Num(n) => Ok(n),
        NumOrText::Text(t) => t
            .trim()
            .parse()
            .map_err(|_| D::Error::custom(format!("{t:?} is not a whole number"))),
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum BoolOrText {
    Bool(bool),
    Text(String),
}

/// `true` or `false`, also as text (from the environment).
pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match BoolOrText::deserialize(d)? {
        BoolOrText::Bool(b) => Ok(b),
        BoolOrText::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(true),
            "false" | "no" | "off" | "0" => Ok(false),
            other => Err(D::Error::custom(format!("{other:?} is not true or false"))),
        },
    }
}
