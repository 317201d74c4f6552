//! `LANGUAGE` and the `draft/languages` capability, as ergo has them: a
//! client names the languages it reads, the first one linechat speaks
//! becomes its language for numerics, notices and NickServ (687; 981 for
//! too many, 982 for none spoken here).

use super::{say, IrcFace};
use crate::chat::Hub;
use crate::net::{ConnId, Outbox};
use crate::words::{Lang, LANGS};

/// `draft/languages`'s value: how many codes `LANGUAGE` takes, then the
/// codes (every catalogue is complete, so none is marked `~`).
pub fn cap_value() -> String {
    let codes: Vec<&str> = Lang::all().map(Lang::code).collect();
    format!("{},{}", LANGS.len(), codes.join(","))
}

/// `LANGUAGE CODE [CODE...]`: the first code linechat speaks wins (they
/// are in order of preference); one it does not speak refuses them all.
pub(super) fn language(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    if params.len() > LANGS.len() {
        let max = LANGS.len().to_string();
        return say(hub, id, out, "981", &[&max], "irc-too-many-languages", &[]);
    }
    let unknown: Vec<&str> = params.iter().copied().filter(|c| Lang::from_code(c).is_none()).collect();
    let Some(lang) = params.first().and_then(|c| Lang::from_code(c)) else {
        return say(hub, id, out, "982", &unknown, "irc-no-language", &[]);
    };
    if !unknown.is_empty() {
        return say(hub, id, out, "982", &unknown, "irc-no-language", &[]);
    }
    let Some(state) = face.state(id) else { return };
    state.lang = lang;
    let caps = state.caps;
    hub.set_profile(id, face.profile(caps, lang));
    say(hub, id, out, "687", params, "irc-languages-set", &[]);
}
