//! The hostile messages, built here: MIME nested thousands of levels deep, HTML nested a
//! hundred thousand elements deep, header fields that open comments and groups and never
//! close them.

use super::EMAIL;

/// What every hostile message carries at its very bottom.
pub const NEEDLE: &str = "zebracrossing";

/// `levels` multiparts one inside the other around a text part.
fn nested_multipart(levels: usize) -> String {
    let mut m = format!("From: <{EMAIL}>\r\nSubject: multipart {levels}\r\nMIME-Version: 1.0\r\n");
    for i in 0..levels {
        m.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"q{i}z\"\r\n\r\n--q{i}z\r\n"
        ));
    }
    m.push_str(&format!("Content-Type: text/plain\r\n\r\n{NEEDLE}\r\n"));
    for i in (0..levels).rev() {
        m.push_str(&format!("--q{i}z--\r\n"));
    }
    m
}

/// `levels` messages each attached to the one before, around a text.
fn nested_messages(levels: usize) -> String {
    let mut m = format!("From: <{EMAIL}>\r\nMIME-Version: 1.0\r\n");
    for i in 0..levels {
        m.push_str(&format!(
            "Subject: level {i}\r\nContent-Type: message/rfc822\r\n\r\n"
        ));
    }
    m.push_str(&format!("Subject: inside\r\n\r\n{NEEDLE}\r\n"));
    m
}

/// `levels` levels, multipart and message/rfc822 by turns.
fn nested_mix(levels: usize) -> String {
    let mut m = format!("From: <{EMAIL}>\r\nSubject: mix {levels}\r\nMIME-Version: 1.0\r\n");
    for i in 0..levels {
        if i % 2 == 0 {
            m.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"m{i}x\"\r\n\r\n--m{i}x\r\n"
            ));
        } else {
            m.push_str(&format!(
                "Content-Type: message/rfc822\r\n\r\nFrom: <l{i}@example.test>\r\n"
            ));
        }
    }
    m.push_str(&format!("Content-Type: text/plain\r\n\r\n{NEEDLE}\r\n"));
    for i in (0..levels).rev().filter(|i| i % 2 == 0) {
        m.push_str(&format!("--m{i}x--\r\n"));
    }
    m
}

/// HTML elements nested `levels` deep, for the webmail's sanitiser.
fn nested_html(levels: usize) -> String {
    let mut m = format!(
        "From: <{EMAIL}>\r\nSubject: html {levels}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/html; charset=utf-8\r\n\r\n"
    );
    // Short lines: the tags on lines of their own.
    for i in 0..levels {
        m.push_str(["<div>\r\n", "<span>\r\n", "<table><tr><td>\r\n"][i % 3]);
    }
    m.push_str(&format!("{NEEDLE}\r\n"));
    m
}

/// The name of [`header_bombs`] among [`messages`].
pub const HEADER_BOMBS: &str = "header bombs";

/// Header fields whose comments and groups open and never close, and nest deep.
fn header_bombs() -> String {
    let mut m = format!("From: <{EMAIL}>\r\nSubject: header bombs\r\n");
    for field in ["To", "Cc", "Reply-To", "Sender"] {
        m.push_str(&format!("{field}: "));
        for i in 0..20_000 {
            m.push_str(if i % 2 == 0 { "(" } else { "g:" });
            if i % 50 == 49 {
                m.push_str("\r\n ");
            }
        }
        m.push_str("a@example.test\r\n");
    }
    m.push_str("Content-Type: text/plain; x=");
    for i in 0..20_000 {
        m.push('(');
        if i % 50 == 49 {
            m.push_str("\r\n ");
        }
    }
    m.push_str(&format!("\r\n\r\n{NEEDLE}\r\n"));
    m
}

/// Every hostile message, by name.
pub fn messages() -> Vec<(&'static str, String)> {
    vec![
        ("multipart 1,200", nested_multipart(1_200)),
        ("multipart 10,000", nested_multipart(10_000)),
        ("message/rfc822 2,000", nested_messages(2_000)),
        ("mix 3,000", nested_mix(3_000)),
        ("html 100,000", nested_html(100_000)),
        (HEADER_BOMBS, header_bombs()),
    ]
}

/// A message as it travels after DATA: dot-stuffed, ended by a lone dot.
pub fn data(message: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 5);
    for line in message.split_inclusive("\r\n") {
        if line.starts_with('.') {
            out.push(b'.');
        }
        out.extend_from_slice(line.as_bytes());
    }
    out.extend_from_slice(b".\r\n");
    out
}
