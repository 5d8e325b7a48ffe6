//! Connection limits of the IMAP service.

use super::{Client, Env};

#[tokio::test]
async fn connections_over_the_limit_are_refused_with_bye() {
    let env = Env::start_with(|c| c.limits.max_connections_per_ip = 3).await;
    let addr = env.server.addr("imap.listen");
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(env.connect().await);
    }
    let mut refused = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut text = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut refused, &mut text)
        .await
        .expect("read");
    assert_eq!(text, "* BYE Too many connections; try again later\r\n");
    // The implicit-TLS port shares the count.
    let mut tls = tokio::net::TcpStream::connect(env.server.addr("imap.listen_tls"))
        .await
        .expect("connect");
    let mut buf = [0u8; 16];
    let n = tokio::io::AsyncReadExt::read(&mut tls, &mut buf)
        .await
        .unwrap_or(0);
    assert_eq!(n, 0, "closed without a handshake");
    // A freed place can be taken again.
    let mut first = held.remove(0);
    first.ok("LOGOUT").await;
    first.closed().await;
    let again = Client::connect(addr).await;
    assert!(again.greeting.starts_with("* OK "), "{}", again.greeting);
}
