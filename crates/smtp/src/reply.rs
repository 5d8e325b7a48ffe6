//! Replies that the connection loop sends on its own, outside any command.

/// The device signed in on this connection was disconnected or its password reset.
pub const REVOKED: &[u8] = b"421 4.7.0 This device was disconnected; closing the connection\r\n";
/// Nothing came from the client for too long.
pub const TIMEOUT: &[u8] = b"421 4.4.2 Idle for too long; closing the connection\r\n";
/// The server is stopping.
pub const SHUTDOWN: &[u8] = b"421 4.3.2 The server is shutting down; try again later\r\n";
/// Refused by the connection limits.
pub const TOO_MANY_CONNECTIONS: &[u8] =
    b"421 4.7.0 Too many connections from your address; try again later\r\n";

/// Appends one reply line (or several, for a multi-line `text`) to `out`.
pub(crate) fn write(out: &mut Vec<u8>, code: u16, text: &str) {
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.next() {
        let sep = if lines.peek().is_some() { '-' } else { ' ' };
        out.extend_from_slice(format!("{code}{sep}{line}\r\n").as_bytes());
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn single_and_multi_line_replies() {
        let mut out = Vec::new();
        super::write(&mut out, 250, "2.0.0 OK");
        super::write(&mut out, 250, "host\nPIPELINING\nSIZE 10");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "250 2.0.0 OK\r\n250-host\r\n250-PIPELINING\r\n250 SIZE 10\r\n"
        );
    }
}
