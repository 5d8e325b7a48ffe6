//! Extractors whose refusals are `WebError`s, so they reach the one error renderer.

use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts};
use axum::http::request::Parts;
use postern_domain::DomainError;

use crate::error::WebError;
use crate::state::AppState;

/// A JSON body.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(WebError))]
pub struct Json<T>(pub T);

/// A form body.
#[derive(FromRequest)]
#[from_request(via(axum::Form), rejection(WebError))]
pub struct Form<T>(pub T);

/// A query string.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(WebError))]
pub struct Query<T>(pub T);

/// Path parameters; ones that do not parse mean there is no such page.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(WebError))]
pub struct Path<T>(pub T);

impl From<JsonRejection> for WebError {
    fn from(r: JsonRejection) -> Self {
        WebError::BadRequest(r.body_text())
    }
}

impl From<FormRejection> for WebError {
    fn from(r: FormRejection) -> Self {
        WebError::BadRequest(r.body_text())
    }
}

impl From<QueryRejection> for WebError {
    fn from(r: QueryRejection) -> Self {
        WebError::BadRequest(r.body_text())
    }
}

impl From<PathRejection> for WebError {
    fn from(_: PathRejection) -> Self {
        WebError::NoRoute
    }
}

/// The address of the client, for throttling failed sign-ins. Behind a trusted reverse proxy,
/// the nearest address in `X-Forwarded-For` that is not itself a trusted proxy.
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let ConnectInfo(peer) = ConnectInfo::<SocketAddr>::from_request_parts(parts, state)
            .await
            .map_err(|_| {
                WebError::Domain(DomainError::Internal(
                    "the client's address is unknown".into(),
                ))
            })?;
        Ok(ClientIp(client_ip(
            peer.ip(),
            &parts.headers,
            &state.settings.trusted_proxies,
        )))
    }
}

/// Walks `X-Forwarded-For` from the nearest hop while the hops are trusted proxies.
pub fn client_ip(peer: IpAddr, headers: &axum::http::HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let mut client = peer;
    if !trusted.contains(&client) {
        return client;
    }
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            // A hop that is not an address was forged or mangled: stop at the last good one.
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> axum::http::HeaderMap {
        let mut h = axum::http::HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn forwarded_for_counts_only_behind_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        let trusted = [proxy];
        // No proxy trusted: the header is ignored, whoever sends it.
        assert_eq!(client_ip(proxy, &headers(&["203.0.113.9"]), &[]), proxy);
        // From the trusted proxy: the hop it added.
        assert_eq!(
            client_ip(proxy, &headers(&["203.0.113.9"]), &trusted),
            client
        );
        // A client cannot pick its own address by sending the header itself.
        assert_eq!(
            client_ip(proxy, &headers(&["198.51.100.1, 203.0.113.9"]), &trusted),
            client
        );
        assert_eq!(
            client_ip(proxy, &headers(&["198.51.100.1", "203.0.113.9"]), &trusted),
            client
        );
        // Directly connected clients are themselves.
        assert_eq!(client_ip(client, &headers(&["10.9.9.9"]), &trusted), client);
        assert_eq!(client_ip(proxy, &headers(&["garbage"]), &trusted), proxy);
        assert_eq!(client_ip(proxy, &headers(&[]), &trusted), proxy);
    }
}
