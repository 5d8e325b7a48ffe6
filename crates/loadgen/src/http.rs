//! A minimal HTTP/1.1 client for Postern's JSON API on loopback: one connection per request,
//! a cookie jar for the session cookie, JSON bodies.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::{LoadError, Result};
use crate::net::require_loopback;

/// A parsed response.
#[derive(Debug, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub cookies: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// `http://host:port[/]` → the socket address (loopback only).
pub fn parse_base_url(url: &str) -> Result<SocketAddr> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| LoadError::Usage(format!("{url}: only http:// URLs are supported")))?;
    let addr: SocketAddr = rest
        .trim_end_matches('/')
        .parse()
        .map_err(|_| LoadError::Usage(format!("{url}: expected http://IP:PORT")))?;
    require_loopback(addr)
}

/// Splits a whole HTTP/1.1 response (read to the end of the connection).
pub fn parse_response(raw: &[u8]) -> Result<HttpResponse> {
    let bad = |why: &str| LoadError::Protocol(format!("HTTP response: {why}"));
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|_| status_line.starts_with("HTTP/1."))
        .ok_or_else(|| bad("no status"))?;
    let mut cookies = Vec::new();
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("set-cookie") {
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                cookies.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        }
    }
    let body = &raw[end + 4..];
    let body = if chunked {
        dechunk(body).ok_or_else(|| bad("bad chunked body"))?
    } else {
        body.to_vec()
    };
    Ok(HttpResponse {
        status,
        cookies,
        body,
    })
}

fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = body.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&body[..eol]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        body = &body[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

/// A client of the JSON API that keeps the cookies it is given.
pub struct ApiClient {
    addr: SocketAddr,
    cookies: Vec<(String, String)>,
    timeout: Duration,
}

impl ApiClient {
    /// A client of the API at `base_url` (`http://127.0.0.1:8080`).
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self> {
        Ok(ApiClient {
            addr: parse_base_url(base_url)?,
            cookies: Vec::new(),
            timeout,
        })
    }

    /// Sends one request; returns the status and the JSON body (`null` when empty).
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value)> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\n\
             Sec-Fetch-Site: same-origin\r\nAccept: application/json\r\nConnection: close\r\n",
            addr = self.addr
        );
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            head.push_str(&format!("Cookie: {}\r\n", jar.join("; ")));
        }
        let payload = body.map(Value::to_string).unwrap_or_default();
        if body.is_some() {
            head.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                payload.len()
            ));
        }
        head.push_str("\r\n");
        head.push_str(&payload);
        let raw = tokio::time::timeout(self.timeout, async {
            let mut stream = TcpStream::connect(self.addr).await?;
            stream.write_all(head.as_bytes()).await?;
            let mut raw = Vec::new();
            stream.read_to_end(&mut raw).await?;
            Ok::<_, std::io::Error>(raw)
        })
        .await??;
        let response = parse_response(&raw)?;
        for (name, value) in response.cookies {
            self.cookies.retain(|(k, _)| *k != name);
            self.cookies.push((name, value));
        }
        let json = if response.body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(&response.body)
                .map_err(|e| LoadError::Protocol(format!("{method} {path}: {e}")))?
        };
        Ok((response.status, json))
    }

    async fn expect(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        ok: &[u16],
    ) -> Result<Value> {
        let (status, json) = self.request(method, path, body).await?;
        if ok.contains(&status) {
            Ok(json)
        } else {
            Err(LoadError::Refused(format!(
                "{method} {path}: {status} {json}"
            )))
        }
    }

    /// `POST /api/v1/login`, then `POST /api/v1/reauth` so that devices may be created.
    pub async fn sign_in(&mut self, login: &str, password: &str) -> Result<()> {
        let body = serde_json::json!({ "login": login, "password": password });
        self.expect("POST", "/api/v1/login", Some(&body), &[200, 204])
            .await?;
        self.reauth(password).await
    }

    /// `POST /api/v1/reauth`.
    pub async fn reauth(&mut self, password: &str) -> Result<()> {
        let body = serde_json::json!({ "password": password });
        self.expect("POST", "/api/v1/reauth", Some(&body), &[200, 204])
            .await?;
        Ok(())
    }

    /// Creates a device on `email` (all protocols); returns its id and password.
    pub async fn create_device(
        &mut self,
        email: &str,
        description: &str,
    ) -> Result<(String, String)> {
        let body = serde_json::json!({ "description": description });
        let path = format!("/api/v1/addresses/{email}/devices");
        let json = self.expect("POST", &path, Some(&body), &[200, 201]).await?;
        let field = |name: &str| {
            json.get(name)
                .and_then(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .or_else(|| v.as_i64().map(|n| n.to_string()))
                })
                .ok_or_else(|| LoadError::Protocol(format!("{path}: no {name} in {json}")))
        };
        Ok((field("id")?, field("password")?))
    }

    /// `DELETE /api/v1/devices/{id}`: disconnects the device.
    pub async fn delete_device(&mut self, id: &str) -> Result<()> {
        self.expect(
            "DELETE",
            &format!("/api/v1/devices/{id}"),
            None,
            &[200, 204],
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_loopback_socket_addresses() {
        assert_eq!(
            parse_base_url("http://127.0.0.1:8080/").unwrap(),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert!(parse_base_url("https://127.0.0.1:8080").is_err());
        assert!(parse_base_url("http://example.com:80").is_err());
        assert!(parse_base_url("http://192.168.0.2:80").is_err());
    }

    #[test]
    fn responses_split_into_status_cookies_and_body() {
        let raw = b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n\
            set-cookie: postern_session=abc123; HttpOnly; SameSite=Strict\r\n\
            Content-Length: 9\r\n\r\n{\"id\":\"1\"}";
        let r = parse_response(raw).unwrap();
        assert_eq!(r.status, 201);
        assert_eq!(r.cookies, vec![("postern_session".into(), "abc123".into())]);
        assert_eq!(r.body, b"{\"id\":\"1\"}");
    }

    #[test]
    fn chunked_bodies_are_joined() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3;x=y\r\n:1}\r\n0\r\n\r\n";
        assert_eq!(parse_response(raw).unwrap().body, b"{\"a\":1}");
        let truncated = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n{\"a\"";
        assert!(parse_response(truncated).is_err());
    }

    #[test]
    fn broken_responses_are_errors() {
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_err());
        assert!(parse_response(b"SMTP 200 OK\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 abc OK\r\n\r\n").is_err());
    }
}
