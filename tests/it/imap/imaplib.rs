//! Python's imaplib, which shares none of our code, against the server.

use postern_testkit::{Need, requires};

use super::{EMAIL, Env};
use postern_testkit::Listener;

const SCRIPT: &str = r#"
import imaplib, sys
host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

def ok(result, what):
    typ, data = result
    assert typ == 'OK', f'{what}: {typ} {data}'
    return data

M = imaplib.IMAP4(host, port)
assert 'STARTTLS' in M.capabilities and 'AUTH=PLAIN' in M.capabilities, M.capabilities
ok(M.login(user, password), 'login')
caps = ok(M.capability(), 'capability')[0].split()
assert b'IDLE' in caps and b'UIDPLUS' in caps and b'MOVE' in caps, caps
typ, data = M.select('INBOX')
assert typ == 'OK' and data == [b'0'], data

msg = (b'From: Alice <alice@example.org>\r\nTo: admin@localhost\r\nSubject: First\r\n'
       b'Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nHello Bob\r\n')
data = ok(M.append('INBOX', r'(\Flagged $Important)', imaplib.Time2Internaldate(1704103200), msg), 'append')
assert b'APPENDUID' in data[0], data
ok(M.append('INBOX', None, None, msg.replace(b'First', b'Second')), 'append')
ok(M.noop(), 'noop')

data = ok(M.fetch('1:2', '(UID FLAGS INTERNALDATE RFC822.SIZE)'), 'fetch')
want = f'UID 1 FLAGS (\\Recent \\Flagged $Important) INTERNALDATE "01-Jan-2024 10:00:00 +0000" RFC822.SIZE {len(msg)}'
assert want.encode() in data[0], (want, data)
data = ok(M.fetch('2', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY[TEXT])'), 'fetch body')
assert data[0][1] == b'Subject: Second\r\n\r\n', data
assert data[1][1] == b'Hello Bob\r\n', data
data = ok(M.fetch('2', '(FLAGS)'), 'flags')
assert data == [b'2 (FLAGS (\\Recent \\Seen))'], data

data = ok(M.store('1', '+FLAGS', r'(\Seen \Deleted)'), 'store')
assert data == [b'1 (FLAGS (\\Recent \\Seen \\Flagged \\Deleted $Important))'], data
data = ok(M.uid('STORE', '2', '-FLAGS.SILENT', r'(\Seen)'), 'uid store')
assert data == [None], data

assert ok(M.search(None, 'ALL'), 'search') == [b'1 2']
assert ok(M.search(None, 'SUBJECT', 'second'), 'search') == [b'2']
assert ok(M.search(None, 'UNSEEN'), 'search') == [b'2']
assert ok(M.search(None, 'KEYWORD', '$Important'), 'search') == [b'1']
assert ok(M.search(None, 'OR', 'DELETED', 'BODY', 'nothing'), 'search') == [b'1']
assert ok(M.search(None, 'SINCE', '1-Jan-2024', 'BEFORE', '2-Jan-2024'), 'search') == [b'1']
assert ok(M.uid('SEARCH', 'HEADER', 'Subject', 'First'), 'uid search') == [b'1']

data = ok(M.copy('1:2', 'Archive'), 'copy')
assert data == [b'[COPYUID ' + data[0].split(b' ')[1] + b' 1:2 1:2] COPY completed'], data
data = ok(M.expunge(), 'expunge')
assert data == [b'1'], data
assert ok(M.search(None, 'ALL'), 'search') == [b'1']

# IDLE: another session appends; this one hears of it at once.
tag = M._new_tag().decode()
M.send(f'{tag} IDLE\r\n'.encode())
assert M.readline() == b'+ idling\r\n'
N = imaplib.IMAP4(host, port)
ok(N.login(user, password), 'second login')
ok(N.append('INBOX', None, None, msg.replace(b'First', b'Third')), 'append')
assert M.readline() == b'* 2 EXISTS\r\n'
assert M.readline() == b'* 2 RECENT\r\n'
ok(N.select('INBOX'), 'select')
ok(N.store('1', '+FLAGS', r'(\Answered)'), 'store')
line = M.readline()
assert line == b'* 1 FETCH (UID 2 FLAGS (\\Recent \\Answered))\r\n', line
M.send(b'DONE\r\n')
assert M.readline() == f'{tag} OK IDLE terminated\r\n'.encode()
N.logout()

typ, data = M.status('Archive', '(MESSAGES UNSEEN)')
assert data == [b'Archive (MESSAGES 2 UNSEEN 1)'], data
ok(M.close(), 'close')
assert M.logout()[0] == 'BYE'
print('all good')
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_imaplib() {
    if !requires(&[Need::Python3]) {
        return;
    }
    let env = Env::start().await;
    let addr = env.server.addr(Listener::Imap);
    let out = tokio::process::Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(addr.ip().to_string())
        .arg(addr.port().to_string())
        .arg(EMAIL)
        .arg(&env.password)
        .output()
        .await
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "imaplib failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "all good\n");
}
