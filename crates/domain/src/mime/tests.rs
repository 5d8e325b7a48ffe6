use mail_parser::PartType;

use super::{MAX_DEPTH, depth, parse};

/// `levels` multiparts one inside the other around a text part.
fn nested_multipart(levels: usize) -> Vec<u8> {
    let mut m = String::from("From: a@example.test\r\nSubject: deep\r\nMIME-Version: 1.0\r\n");
    for i in 0..levels {
        m.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"q{i}z\"\r\n\r\n--q{i}z\r\n"
        ));
    }
    m.push_str("Content-Type: text/plain\r\n\r\nthe needle\r\n");
    for i in (0..levels).rev() {
        m.push_str(&format!("--q{i}z--\r\n"));
    }
    m.into_bytes()
}

/// `levels` messages each attached to the one before, around a text.
fn nested_messages(levels: usize) -> Vec<u8> {
    let mut m = String::new();
    for i in 0..levels {
        m.push_str(&format!(
            "Subject: level {i}\r\nContent-Type: message/rfc822\r\n\r\n"
        ));
    }
    m.push_str("Subject: inside\r\n\r\nthe needle\r\n");
    m.into_bytes()
}

#[test]
fn a_shallow_message_keeps_its_structure() {
    let raw = b"From: a@example.test\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
        --b\r\nContent-Type: text/plain\r\n\r\nhi\r\n\
        --b\r\nContent-Type: message/rfc822\r\n\r\nSubject: attached\r\n\r\ninside\r\n--b--\r\n";
    let m = parse(raw).unwrap();
    assert_eq!(depth(&m), 2);
    assert!(matches!(m.parts[0].body, PartType::Multipart(_)));
    assert!(matches!(m.parts[2].body, PartType::Message(_)));
    let raw = nested_multipart(MAX_DEPTH);
    let deep = parse(&raw).unwrap();
    assert_eq!(
        depth(&deep),
        MAX_DEPTH,
        "exactly at the limit nothing is cut"
    );
    assert!(
        deep.parts
            .iter()
            .any(|p| matches!(&p.body, PartType::Text(t) if t.contains("needle")))
    );
}

#[test]
fn multiparts_deeper_than_the_limit_are_cut_there() {
    for levels in [MAX_DEPTH + 1, 1_200, 10_000] {
        let raw = nested_multipart(levels);
        let m = parse(&raw).unwrap();
        assert_eq!(depth(&m), MAX_DEPTH, "{levels}");
        let cut = &m.parts[MAX_DEPTH];
        let PartType::Binary(bytes) = &cut.body else {
            panic!("the part at the limit is opaque: {:?}", cut.body)
        };
        let limit = MAX_DEPTH;
        assert!(
            bytes.starts_with(format!("--q{limit}z\r\n").as_bytes()),
            "it holds the part's body as stored"
        );
    }
}

#[test]
fn attached_messages_deeper_than_the_limit_are_cut_there() {
    for levels in [MAX_DEPTH + 1, 2_000, 30_000] {
        let raw = nested_messages(levels);
        let m = parse(&raw).unwrap();
        assert_eq!(depth(&m), MAX_DEPTH, "{levels}");
    }
}

#[test]
fn a_mix_of_both_is_cut_at_the_limit() {
    let mut m = String::from("From: a@example.test\r\n");
    let levels = 3_000;
    for i in 0..levels {
        if i % 2 == 0 {
            m.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"m{i}x\"\r\n\r\n--m{i}x\r\n"
            ));
        } else {
            m.push_str("Content-Type: message/rfc822\r\n\r\nSubject: mix\r\n");
        }
    }
    m.push_str("Content-Type: text/plain\r\n\r\nbottom\r\n");
    for i in (0..levels).rev().filter(|i| i % 2 == 0) {
        m.push_str(&format!("--m{i}x--\r\n"));
    }
    let parsed = parse(m.as_bytes()).unwrap();
    assert_eq!(depth(&parsed), MAX_DEPTH);
}
