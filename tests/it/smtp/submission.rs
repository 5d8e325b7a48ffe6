//! Submission by real clients (swaks, Python's smtplib, lettre), read back over POP3 by
//! another device of the recipient and through the store.

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use postern_domain::Actor;
use postern_testkit::{Need, requires};

use super::{args, cert, inbox, printed, python, server_with, swaks};
use postern_testkit::Listener;

const POP_ALL: &str = r#"
import poplib, ssl, sys
host, port, user, password, cafile = sys.argv[1:6]
ctx = ssl.create_default_context(cafile=cafile)
p = poplib.POP3_SSL(host, int(port), context=ctx)
p.user(user)
p.pass_(password)
count, size = p.stat()
print("COUNT", count)
for i in range(1, count + 1):
    _, lines, _ = p.retr(i)
    print("MESSAGE", b"\n".join(lines).decode())
p.quit()
"#;

const SMTPLIB: &str = r#"
import smtplib, ssl, sys
from email.message import EmailMessage
mode, host, port, user, password, cafile, to, subject = sys.argv[1:9]
ctx = ssl.create_default_context(cafile=cafile)
m = EmailMessage()
m["From"] = user
m["To"] = to
m["Subject"] = subject
m.set_content("Sent by smtplib over " + mode + ".\n.a line with a leading dot\n")
if mode == "starttls":
    s = smtplib.SMTP(host, int(port), local_hostname="smtplib.example")
    s.starttls(context=ctx)
else:
    s = smtplib.SMTP_SSL(host, int(port), local_hostname="smtplib.example", context=ctx)
s.login(user, password)
s.send_message(m)
s.quit()
print("SENT")
"#;

#[tokio::test(flavor = "multi_thread")]
async fn swaks_and_smtplib_submit_and_another_device_reads_over_pop3() {
    if !requires(&[Need::Swaks, Need::Python3]) {
        return;
    }
    let server = server_with(|_| {}).await;
    let (laptop, alice_pw) = server.device("alice@example.org", "Laptop", "smtp").await;
    let (_, bob_pop) = server.device("bob@example.org", "Phone", "pop3").await;
    let submission = server.addr(Listener::Smtp);
    let submission_tls = server.addr(Listener::SmtpTls);
    let port = submission.port().to_string();
    let tls_port = submission_tls.port().to_string();
    let cert = cert(&server).display().to_string();

    // swaks: AUTH PLAIN and LOGIN over STARTTLS, PLAIN over implicit TLS (certificate checked).
    let runs: [(&str, &[&str]); 3] = [
        ("plain-starttls", &["-p", &port, "-tls", "-a", "PLAIN"]),
        (
            "login-starttls",
            &["-p", &port, "-tls", "-a", "LOGIN", "--pipeline"],
        ),
        ("plain-tls", &["-p", &tls_port, "-tlsc", "-a", "PLAIN"]),
    ];
    for (name, extra) in runs {
        let mut a = args(&[
            "-s",
            "localhost",
            "--tls-verify",
            "--tls-ca-path",
            &cert,
            "-h",
            "laptop.example",
            "-f",
            "alice@example.org",
            "-t",
            "bob@example.org",
            "-au",
            "alice@example.org",
            "-ap",
            &alice_pw,
            "--header",
            &format!("Subject: swaks {name}"),
            "--body",
            &format!("Body of {name}."),
        ]);
        a.extend(args(extra));
        let out = swaks(a).await;
        assert!(out.status.success(), "swaks {name}: {}", printed(&out));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("250 2.0.0 Message accepted"), "{text}");
    }
    // The EHLO name became the device's client name.
    let device = server
        .core()
        .device(&Actor::CommandLine, laptop)
        .await
        .unwrap();
    assert_eq!(device.client.as_deref(), Some("laptop.example"));

    for (mode, port) in [("starttls", &port), ("tls", &tls_port)] {
        let out = python(
            SMTPLIB,
            args(&[
                mode,
                "localhost",
                port,
                "alice@example.org",
                &alice_pw,
                &cert,
                "bob@example.org",
                &format!("smtplib {mode}"),
            ]),
        )
        .await;
        assert!(out.status.success(), "smtplib {mode}: {}", printed(&out));
    }

    // Bob's phone reads all five over POP3 (implicit TLS, certificate checked).
    let pop = python(
        POP_ALL,
        args(&[
            "localhost",
            &server.addr(Listener::Pop3Tls).port().to_string(),
            "bob@example.org",
            &bob_pop,
            &cert,
        ]),
    )
    .await;
    assert!(pop.status.success(), "poplib: {}", printed(&pop));
    let text = String::from_utf8_lossy(&pop.stdout);
    assert!(text.contains("COUNT 5"), "{text}");
    for subject in [
        "swaks plain-starttls",
        "swaks login-starttls",
        "swaks plain-tls",
        "smtplib starttls",
        "smtplib tls",
    ] {
        assert!(
            text.contains(&format!("Subject: {subject}")),
            "{subject}: {text}"
        );
    }
    assert!(text.contains(".a line with a leading dot"), "{text}");

    // The same through the store: trace headers in front of each message.
    let messages = inbox(&server, "bob@example.org").await;
    assert_eq!(messages.len(), 5);
    for m in &messages {
        assert!(
            m.starts_with("Return-Path: <alice@example.org>\r\nReceived: from "),
            "{m}"
        );
        assert!(
            m.contains("with ESMTPSA\r\n\tfor <bob@example.org>;"),
            "{m}"
        );
        assert!(!m.contains("\n.."), "dot-stuffing was removed: {m}");
    }
    assert!(messages[0].contains("Received: from laptop.example ([127.0.0.1])"));
    assert!(inbox(&server, "alice@example.org").await.is_empty());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_sender_is_refused() {
    if !requires(&[Need::Swaks, Need::Python3]) {
        return;
    }
    let server = server_with(|_| {}).await;
    let (_, alice_pw) = server.device("alice@example.org", "Laptop", "smtp").await;
    let out = swaks(args(&[
        "-s",
        "127.0.0.1",
        "-p",
        &server.addr(Listener::Smtp).port().to_string(),
        "-tls",
        "-a",
        "PLAIN",
        "-au",
        "alice@example.org",
        "-ap",
        &alice_pw,
        "-f",
        "bob@example.org",
        "-t",
        "bob@example.org",
    ]))
    .await;
    assert!(!out.status.success(), "{}", printed(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "553 5.7.1 Sender address <bob@example.org> is not yours: send as <alice@example.org>"
        ),
        "{text}"
    );
    let script = r#"
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
s.login("alice@example.org", sys.argv[2])
try:
    s.sendmail("ceo@example.org", ["bob@example.org"], "Subject: x\r\n\r\nx\r\n")
except smtplib.SMTPSenderRefused as e:
    print("REFUSED", e.smtp_code)
"#;
    let out = python(
        script,
        args(&[&server.addr(Listener::Smtp).port().to_string(), &alice_pw]),
    )
    .await;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "REFUSED 553",
        "{}",
        printed(&out)
    );
    assert!(inbox(&server, "bob@example.org").await.is_empty());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lettre_submits_over_starttls_and_implicit_tls() {
    if !requires(&[Need::Python3]) {
        return;
    }
    let server = server_with(|_| {}).await;
    let (_, alice_pw) = server.device("alice@example.org", "Rust app", "smtp").await;
    let pem = std::fs::read(cert(&server)).unwrap();
    let tls = || {
        TlsParameters::builder("localhost".to_owned())
            .certificate_store(CertificateStore::None)
            .add_root_certificate(Certificate::from_pem(&pem).unwrap())
            .build_rustls()
            .unwrap()
    };
    let credentials = Credentials::new("alice@example.org".into(), alice_pw.clone());
    let transports = [
        (
            "starttls",
            server.addr(Listener::Smtp).port(),
            Tls::Required(tls()),
            Mechanism::Plain,
        ),
        (
            "implicit",
            server.addr(Listener::SmtpTls).port(),
            Tls::Wrapper(tls()),
            Mechanism::Login,
        ),
    ];
    for (name, port, tls, mechanism) in transports {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("localhost")
            .port(port)
            .tls(tls)
            .credentials(credentials.clone())
            .authentication(vec![mechanism])
            .build();
        let message = Message::builder()
            .from("Alice <alice@example.org>".parse::<Mailbox>().unwrap())
            .to("bob@example.org".parse::<Mailbox>().unwrap())
            .cc("alice@example.org".parse::<Mailbox>().unwrap())
            .subject(format!("lettre {name}"))
            .body(format!("Sent with lettre over {name}.\r\n"))
            .unwrap();
        let response = transport.send(message).await.expect("lettre sends");
        assert_eq!(response.code().to_string(), "250");

        let forged = Message::builder()
            .from("bob@example.org".parse::<Mailbox>().unwrap())
            .to("bob@example.org".parse::<Mailbox>().unwrap())
            .subject("forged")
            .body(String::from("x"))
            .unwrap();
        let err = transport
            .send(forged)
            .await
            .expect_err("a forged sender is refused");
        assert!(err.is_permanent(), "{err}");
        assert!(err.to_string().contains("not yours"), "{err}");
    }
    let messages = inbox(&server, "bob@example.org").await;
    assert_eq!(messages.len(), 2);
    assert!(messages[0].contains("Subject: lettre starttls"));
    assert!(messages[1].contains("Subject: lettre implicit"));
    assert!(messages.iter().all(|m| !m.contains("forged")));

    // Alice's copies, read over POP3 by another device of hers.
    let (_, alice_pop) = server.device("alice@example.org", "Phone", "pop3").await;
    let pop = python(
        POP_ALL,
        args(&[
            "localhost",
            &server.addr(Listener::Pop3Tls).port().to_string(),
            "alice@example.org",
            &alice_pop,
            &cert(&server).display().to_string(),
        ]),
    )
    .await;
    assert!(pop.status.success(), "poplib: {}", printed(&pop));
    let text = String::from_utf8_lossy(&pop.stdout);
    assert!(text.contains("COUNT 2"), "{text}");
    assert!(text.contains("Subject: lettre starttls"), "{text}");
    assert!(text.contains("Subject: lettre implicit"), "{text}");
    assert!(text.contains("Sent with lettre over implicit."), "{text}");
    server.stop().await;
}
