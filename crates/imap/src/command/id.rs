//! ID (RFC 2971): the client's name and version become the device's client name.

use imap_codec::imap_types::core::{IString, NString, Quoted};
use imap_codec::imap_types::response::Data;
use imap_next::server::Server;

use crate::error::{Done, Outcome};
use crate::session::Session;

fn value(v: &NString<'_>) -> Option<String> {
    let bytes: &[u8] = v.0.as_ref()?.as_ref();
    let s = String::from_utf8_lossy(bytes).trim().to_owned();
    (!s.is_empty()).then_some(s)
}

/// "Name Version" from the ID parameters, if the client named itself.
fn client_name(parameters: &[(IString<'_>, NString<'_>)]) -> Option<String> {
    let find = |key: &str| {
        parameters
            .iter()
            .find(|(k, _)| {
                let k: &[u8] = k.as_ref();
                k.eq_ignore_ascii_case(key.as_bytes())
            })
            .and_then(|(_, v)| value(v))
    };
    let name = find("name")?;
    Some(match find("version") {
        Some(version) => format!("{name} {version}"),
        None => name,
    })
}

pub(crate) async fn run(
    s: &mut Session,
    server: &mut Server,
    parameters: Option<Vec<(IString<'static>, NString<'static>)>>,
) -> Outcome {
    if let Some(name) = parameters.as_deref().and_then(client_name) {
        if let Some(user) = s.state.user_mut() {
            s.core.record_client(user, &name).await;
        } else if let Some(pre) = s.state.not_authenticated() {
            pre.client_id = Some(name);
        }
    }
    let q = |t: &'static str| IString::from(Quoted::unvalidated(t));
    server.enqueue_data(Data::Id {
        parameters: Some(vec![
            (q("name"), NString(Some(q("Postern")))),
            (q("version"), NString(Some(q(env!("CARGO_PKG_VERSION"))))),
        ]),
    });
    Ok(Done::ok("ID completed"))
}
