//! Microsoft Autodiscover: the XML ("POX") request Outlook posts to
//! `autodiscover.<domain>/autodiscover/autodiscover.xml`, and the JSON v2 endpoint that
//! answers where that XML service is.

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use postern_domain::Email;
use serde::Deserialize;
use serde_json::json;

use super::{ServerEntry, first_of};
use crate::error::WebResult;
use crate::extract::{Path, Query};
use crate::state::AppState;

/// The response schema Outlook asks for, the only one served.
const OUTLOOK_SCHEMA: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

#[derive(Template)]
#[template(path = "autoconfig/autodiscover.xml")]
struct Settings {
    email: String,
    servers: Vec<ServerEntry>,
}

#[derive(Template)]
#[template(path = "autoconfig/autodiscover-error.xml")]
struct Failure {
    code: u16,
    message: &'static str,
}

fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// What an Autodiscover request asks for.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    email: String,
    schema: String,
}

/// Reads the request: the text of `EMailAddress` and `AcceptableResponseSchema`, in
/// whatever namespace. Documents with a DTD are refused by the parser.
fn parse_request(body: &[u8]) -> Option<Request> {
    let text = std::str::from_utf8(body).ok()?;
    let doc = roxmltree::Document::parse(text).ok()?;
    let field = |name: &str| {
        doc.descendants()
            .find(|n| n.is_element() && n.tag_name().name() == name)
            .and_then(|n| n.text())
            .map(|t| t.trim().to_owned())
    };
    Some(Request {
        email: field("EMailAddress")?,
        schema: field("AcceptableResponseSchema").unwrap_or_else(|| OUTLOOK_SCHEMA.to_owned()),
    })
}

/// `POST /autodiscover/autodiscover.xml`: the IMAP, POP3 and SMTP settings of the address.
/// Errors are answered as Exchange does, with status 200 and an `Error` element.
pub async fn pox(State(state): State<AppState>, body: Bytes) -> WebResult<Response> {
    let Some(request) = parse_request(&body) else {
        let page = Failure {
            code: 600,
            message: "Invalid Request",
        };
        return Ok(xml(page.render()?));
    };
    if request.schema != OUTLOOK_SCHEMA {
        let page = Failure {
            code: 601,
            message: "Provider is not available for the requested schema",
        };
        return Ok(xml(page.render()?));
    }
    let Ok(email) = Email::parse(&request.email) else {
        let page = Failure {
            code: 600,
            message: "Invalid Request",
        };
        return Ok(xml(page.render()?));
    };
    let servers = &state.settings.mail_servers;
    let page = Settings {
        email: email.to_string(),
        servers: ["IMAP", "POP3", "SMTP"]
            .into_iter()
            .filter_map(|p| first_of(servers, p))
            .collect(),
    };
    Ok(xml(page.render()?))
}

#[derive(Deserialize)]
pub struct JsonQuery {
    #[serde(default, rename = "Email")]
    email: String,
    #[serde(default, rename = "Protocol")]
    protocol: String,
}

#[derive(Deserialize)]
pub struct ProtocolQuery {
    #[serde(default, rename = "Protocol")]
    protocol: String,
}

/// The answer of the JSON endpoint: where the XML service is, for `AutodiscoverV1`, the
/// only protocol Postern speaks.
fn json_answer(state: &AppState, email: &str, protocol: &str) -> Response {
    if Email::parse(email).is_err() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({
                "ErrorCode": "InvalidUser",
                "ErrorMessage": "The given email address is invalid."
            })),
        )
            .into_response();
    }
    if !protocol.eq_ignore_ascii_case("AutodiscoverV1") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({
                "ErrorCode": "InvalidProtocol",
                "ErrorMessage": format!(
                    "The given protocol value '{protocol}' is invalid. Supported values are 'AutodiscoverV1'."
                )
            })),
        )
            .into_response();
    }
    let url = format!(
        "{}/autodiscover/autodiscover.xml",
        state.settings.public_url.trim_end_matches('/')
    );
    Json(json!({"Protocol": "AutodiscoverV1", "Url": url})).into_response()
}

/// `GET /autodiscover/autodiscover.json?Email=…&Protocol=AutodiscoverV1`.
pub async fn json(State(state): State<AppState>, Query(q): Query<JsonQuery>) -> Response {
    json_answer(&state, &q.email, &q.protocol)
}

/// `GET /autodiscover/autodiscover.json/v1.0/<address>?Protocol=AutodiscoverV1`.
pub async fn json_v1(
    State(state): State<AppState>,
    Path(email): Path<String>,
    Query(q): Query<ProtocolQuery>,
) -> Response {
    json_answer(&state, &email, &q.protocol)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_requests_in_any_namespace() {
        let body = br#"<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress> anna@example.com </EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>"#;
        assert_eq!(
            parse_request(body),
            Some(Request {
                email: "anna@example.com".into(),
                schema: OUTLOOK_SCHEMA.into()
            })
        );
        assert_eq!(parse_request(b"<a><b/></a>"), None);
        assert_eq!(parse_request(b"not xml"), None);
        let with_dtd = br#"<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a><EMailAddress>&x;@example.com</EMailAddress></a>"#;
        assert_eq!(parse_request(with_dtd), None);
    }
}
