//! The request decoders of the web app and the API as pure functions: what a handler's
//! extractors and its first parsing steps make of the raw bytes of a request, before
//! anything reaches the domain. Nothing here does I/O; the fuzz targets `web_forms` and
//! `api_requests` drive it with arbitrary bytes.

use std::net::IpAddr;

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use postern_domain::{Description, DeviceId, DevicePassword, Email, Login, ProtocolSet};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;

use crate::api::v1::schema::{LinkRequest, LoginRequest, NewDeviceRequest, ReauthRequest};
use crate::error::{WebError, WebResult};
use crate::extract::{Form, Json, Query};
use crate::pages::account::ChangeForm;
use crate::pages::address_settings::SectionQuery;
use crate::pages::confirm::{ConfirmForm, PendingQuery};
use crate::pages::settings::AddressQuery;
use crate::pages::setup::SetupForm;
use crate::pages::sign_in::{NextQuery, SignInForm, safe_next};

/// A form body or a query string of the web app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormInput {
    /// `POST /sign-in`.
    SignIn,
    /// `GET /sign-in?next=`.
    SignInQuery,
    /// `POST /confirm-password`.
    ConfirmPassword,
    /// `GET /confirm-password?pending=`.
    ConfirmQuery,
    /// `POST /account/password`.
    ChangePassword,
    /// `POST /setup/generate`.
    Setup,
    /// `GET /setup?…`.
    SetupQuery,
    /// `GET /addresses/{email}?open=`.
    SectionQuery,
    /// `GET /settings?address=`.
    SettingsQuery,
}

impl FormInput {
    /// Every form and query.
    pub const ALL: [FormInput; 9] = [
        FormInput::SignIn,
        FormInput::SignInQuery,
        FormInput::ConfirmPassword,
        FormInput::ConfirmQuery,
        FormInput::ChangePassword,
        FormInput::Setup,
        FormInput::SetupQuery,
        FormInput::SectionQuery,
        FormInput::SettingsQuery,
    ];

    /// Whether the input is a query string rather than a body.
    pub fn is_query(self) -> bool {
        matches!(
            self,
            FormInput::SignInQuery
                | FormInput::ConfirmQuery
                | FormInput::SetupQuery
                | FormInput::SectionQuery
                | FormInput::SettingsQuery
        )
    }
}

/// A JSON body of API v1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiInput {
    /// `POST /api/v1/login`.
    Login,
    /// `POST /api/v1/reauth`.
    Reauth,
    /// `POST /api/v1/addresses/{email}/devices`.
    NewDevice,
    /// `POST /api/v1/links`.
    Link,
}

impl ApiInput {
    /// Every body.
    pub const ALL: [ApiInput; 4] = [
        ApiInput::Login,
        ApiInput::Reauth,
        ApiInput::NewDevice,
        ApiInput::Link,
    ];
}

/// What a request holds once decoded and parsed as far as its handler goes before the
/// domain. A login, address or device password the domain would refuse as a failed sign-in
/// is `None` rather than an error.
#[derive(Default)]
pub struct Decoded {
    /// Where a sign-in goes next, made a path of this site.
    pub next: Option<String>,
    /// A sign-in's login.
    pub login: Option<Login>,
    /// The address the request is about.
    pub email: Option<Email>,
    /// A new device's description.
    pub description: Option<Description>,
    /// A new device's protocols.
    pub protocols: Option<ProtocolSet>,
    /// The device to reset.
    pub device: Option<DeviceId>,
    /// A device password, as the sign-in check reads it.
    pub device_password: Option<DevicePassword>,
    /// Whether the setup assistant shows its manual tab.
    pub manual: bool,
}

fn request(
    method: Method,
    uri: &str,
    content_type: Option<&[u8]>,
    body: &[u8],
) -> WebResult<Request> {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(value) = content_type.and_then(|v| HeaderValue::from_bytes(v).ok()) {
        builder = builder.header(header::CONTENT_TYPE, value);
    }
    // A URI that does not parse is refused by the HTTP server before any handler.
    builder
        .body(Body::from(body.to_vec()))
        .map_err(|e| WebError::BadRequest(e.to_string()))
}

async fn form_body<T: DeserializeOwned>(content_type: Option<&[u8]>, body: &[u8]) -> WebResult<T> {
    let req = request(Method::POST, "/", content_type, body)?;
    let Form(value) = Form::<T>::from_request(req, &()).await?;
    Ok(value)
}

async fn query<T: DeserializeOwned>(text: &[u8]) -> WebResult<T> {
    let uri = format!("/?{}", String::from_utf8_lossy(text));
    let req = request(Method::GET, &uri, None, &[])?;
    let (mut parts, _) = req.into_parts();
    let Query(value) = Query::<T>::from_request_parts(&mut parts, &()).await?;
    Ok(value)
}

async fn json_body<T: DeserializeOwned>(content_type: Option<&[u8]>, body: &[u8]) -> WebResult<T> {
    let req = request(Method::POST, "/", content_type, body)?;
    let Json(value) = Json::<T>::from_request(req, &()).await?;
    Ok(value)
}

/// An address typed in a form: empty means none chosen; one that does not parse is a page
/// that does not exist, as in the handlers.
fn chosen_address(text: &str) -> WebResult<Option<Email>> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    Email::parse(text).map(Some).map_err(|_| WebError::NoRoute)
}

/// Decodes a form body (with its `Content-Type`) or a query string, and parses it as its
/// handler does.
pub async fn form(
    input: FormInput,
    content_type: Option<&[u8]>,
    body: &[u8],
) -> WebResult<Decoded> {
    let mut decoded = Decoded::default();
    match input {
        FormInput::SignIn => {
            let f: SignInForm = form_body(content_type, body).await?;
            decoded.next = Some(safe_next(&f.next).to_owned());
            decoded.login = Login::parse(&f.login).ok();
            // The account password is only hashed; it is never parsed.
            let _ = f.password.expose_secret();
        }
        FormInput::SignInQuery => {
            let q: NextQuery = query(body).await?;
            decoded.next = Some(safe_next(&q.next).to_owned());
        }
        FormInput::ConfirmPassword => {
            let _: ConfirmForm = form_body(content_type, body).await?;
        }
        FormInput::ConfirmQuery => {
            let _: PendingQuery = query(body).await?;
        }
        FormInput::ChangePassword => {
            let _: ChangeForm = form_body(content_type, body).await?;
        }
        FormInput::Setup => {
            let f: SetupForm = form_body(content_type, body).await?;
            decoded.manual = f.manual();
            decoded.email = Some(Email::parse(&f.address).map_err(|_| WebError::NoRoute)?);
            if f.device.is_empty() || f.device == "new" {
                decoded.description = Some(Description::parse(&f.description)?);
            } else {
                decoded.device = Some(DeviceId::parse(&f.device).map_err(|_| WebError::NoRoute)?);
            }
        }
        FormInput::SetupQuery => {
            let f: SetupForm = query(body).await?;
            decoded.manual = f.manual();
            decoded.email = chosen_address(&f.address)?;
        }
        FormInput::SectionQuery => {
            let _: SectionQuery = query(body).await?;
        }
        FormInput::SettingsQuery => {
            let q: AddressQuery = query(body).await?;
            decoded.email = chosen_address(&q.address)?;
        }
    }
    Ok(decoded)
}

/// Decodes a JSON body of API v1 (with its `Content-Type`), and parses it as its handler and
/// the domain's sign-in checks do.
pub async fn api(input: ApiInput, content_type: Option<&[u8]>, body: &[u8]) -> WebResult<Decoded> {
    let mut decoded = Decoded::default();
    match input {
        ApiInput::Login => {
            let r: LoginRequest = json_body(content_type, body).await?;
            decoded.login = Login::parse(&r.login).ok();
        }
        ApiInput::Reauth => {
            let _: ReauthRequest = json_body(content_type, body).await?;
        }
        ApiInput::NewDevice => {
            let r: NewDeviceRequest = json_body(content_type, body).await?;
            let (description, protocols) = r.parse()?;
            decoded.description = Some(description);
            decoded.protocols = Some(protocols);
        }
        ApiInput::Link => {
            let r: LinkRequest = json_body(content_type, body).await?;
            decoded.email = Email::parse(&r.address).ok();
            decoded.device_password = DevicePassword::parse(r.password.expose_secret()).ok();
        }
    }
    Ok(decoded)
}

/// An address in a URL path (`/addresses/{email}`, `/api/v1/links/{address}`, …).
pub fn path_email(text: &str) -> WebResult<Email> {
    crate::pages::email_param(text)
}

/// A device id in a URL path.
pub fn path_device(text: &str) -> WebResult<DeviceId> {
    DeviceId::parse(text).map_err(|_| WebError::NoRoute)
}

/// The client address the throttle counts, for a connection from `peer` that sent these
/// `X-Forwarded-For` values (values that are not header values are dropped, as the HTTP
/// server would refuse them).
pub fn client_address(peer: IpAddr, forwarded_for: &[&[u8]], trusted: &[IpAddr]) -> IpAddr {
    let mut headers = HeaderMap::new();
    for value in forwarded_for {
        if let Ok(v) = HeaderValue::from_bytes(value) {
            headers.append("x-forwarded-for", v);
        }
    }
    crate::extract::client_ip(peer, &headers, trusted)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: Option<&[u8]> = Some(b"application/x-www-form-urlencoded");
    const JSON: Option<&[u8]> = Some(b"application/json");

    #[tokio::test]
    async fn forms_decode_as_their_handlers_read_them() {
        let body = b"address=Alice%40Example.org&device=new&description=+Phone+&current_tab=manual";
        let d = form(FormInput::Setup, FORM, body).await.unwrap();
        assert_eq!(d.email.unwrap().as_str(), "alice@example.org");
        assert_eq!(d.description.unwrap().as_str(), "Phone");
        assert!(d.manual);
        let d = form(
            FormInput::SignIn,
            FORM,
            b"login=a&password=b&next=%2F%2Fevil.test",
        )
        .await
        .unwrap();
        assert_eq!(d.next.as_deref(), Some("/"));
        let e = form(FormInput::Setup, FORM, b"address=nobody")
            .await
            .err()
            .unwrap();
        assert_eq!(e.status(), 404);
        let e = form(FormInput::Setup, FORM, b"address=a%40b.c&description=")
            .await
            .err()
            .unwrap();
        assert_eq!(e.status(), 422);
    }

    #[tokio::test]
    async fn bad_bodies_are_the_clients_fault() {
        for (ct, body) in [
            (None, &b"login=a&password=b"[..]),
            (JSON, b"login=a&password=b"),
            (FORM, b"login=a"),
        ] {
            let e = form(FormInput::SignIn, ct, body).await.err().unwrap();
            assert!(e.status().is_client_error(), "{}", e.status());
        }
        for (ct, body) in [
            (None, &b"{}"[..]),
            (FORM, b"{\"password\":\"x\"}"),
            (JSON, b"{\"password\":"),
            (
                JSON,
                b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]",
            ),
            (JSON, b"{\"description\":\"x\",\"protocols\":[]}"),
        ] {
            let e = api(ApiInput::NewDevice, ct, body).await.err().unwrap();
            assert!(e.status().is_client_error(), "{}", e.status());
        }
        let d = api(ApiInput::NewDevice, JSON, b"{\"description\":\"x\"}")
            .await
            .unwrap();
        assert_eq!(d.protocols, Some(ProtocolSet::ALL));
    }

    #[test]
    fn forwarded_for_is_believed_from_trusted_proxies_only() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let peer: IpAddr = "198.51.100.7".parse().unwrap();
        let hops: [&[u8]; 2] = [b"203.0.113.9", b"\xff"];
        assert_eq!(client_address(peer, &hops, &[proxy]), peer);
        assert_eq!(
            client_address(proxy, &hops[..1], &[proxy]),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
    }
}
