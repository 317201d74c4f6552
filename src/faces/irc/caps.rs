//! The IRCv3 capabilities the IRC face offers and each client's set of
//! those it negotiated (`CAP`, in `register.rs`).

/// The IRCv3 capabilities a client negotiated.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// Gets its own messages back.
    pub echo_message: bool,
    /// `@time=` on room lines.
    pub server_time: bool,
    /// `@msgid=` on room lines (and client tags, accepted).
    pub message_tags: bool,
    pub batch: bool,
    /// Replies to a `@label=` line carry the label.
    pub labeled_response: bool,
    /// Asks for history itself: no replay on JOIN.
    pub chathistory: bool,
    /// May sign in with AUTHENTICATE.
    pub sasl: bool,
    /// Told when someone sharing a room signs in or out (ACCOUNT).
    pub account_notify: bool,
    /// Every prefix of a member in NAMES and WHO (`@+`), not only the highest.
    pub multi_prefix: bool,
    /// `draft/languages`: knows that `LANGUAGE` is here.
    pub languages: bool,
    /// Told when someone sharing a room goes away or comes back (AWAY).
    pub away_notify: bool,
    /// Told of capabilities that appear or go (CAP NEW/DEL); `CAP LS 302`
    /// implies it without listing it (`IrcState::cap_302`).
    pub cap_notify: bool,
    /// Told of invitations into its rooms sent to others (INVITE).
    pub invite_notify: bool,
    /// May change its realname, and is told of others' changes (SETNAME).
    pub setname: bool,
    /// `nick!user@host` in NAMES.
    pub userhost_in_names: bool,
    /// Told of away, account and realname changes of the nicknames it
    /// monitors too, not only of those sharing a room.
    pub extended_monitor: bool,
    /// `draft/message-redaction`: told of deleted lines (REDACT).
    pub message_redaction: bool,
    /// `draft/read-marker`: MARKREAD, and told of its account's markers.
    pub read_marker: bool,
    /// `draft/account-registration`: knows that REGISTER is here.
    pub account_registration: bool,
    /// `@account=` on what signed-in users send.
    pub account_tag: bool,
    /// JOIN lines carry the account and realname.
    pub extended_join: bool,
}

/// Every capability offered, by name (those about history only with
/// history on, `sts` only with `--sts-duration` and a TLS IRC port; `sts`
/// is never requested, only read).
pub const CAPS: &[&str] = &[
    "account-notify",
    "account-tag",
    "away-notify",
    "batch",
    "cap-notify",
    "draft/account-registration",
    "draft/chathistory",
    "draft/languages",
    "draft/message-redaction",
    "draft/read-marker",
    "echo-message",
    "extended-join",
    "extended-monitor",
    "invite-notify",
    "labeled-response",
    "message-tags",
    "multi-prefix",
    "sasl",
    "server-time",
    "setname",
    "sts",
    "userhost-in-names",
];

impl Caps {
    fn flag(&mut self, name: &str) -> Option<&mut bool> {
        Some(match name {
            "account-notify" => &mut self.account_notify,
            "account-tag" => &mut self.account_tag,
            "away-notify" => &mut self.away_notify,
            "batch" => &mut self.batch,
            "cap-notify" => &mut self.cap_notify,
            "draft/account-registration" => &mut self.account_registration,
            "draft/chathistory" => &mut self.chathistory,
            "draft/languages" => &mut self.languages,
            "draft/message-redaction" => &mut self.message_redaction,
            "draft/read-marker" => &mut self.read_marker,
            "echo-message" => &mut self.echo_message,
            "extended-join" => &mut self.extended_join,
            "extended-monitor" => &mut self.extended_monitor,
            "invite-notify" => &mut self.invite_notify,
            "labeled-response" => &mut self.labeled_response,
            "message-tags" => &mut self.message_tags,
            "multi-prefix" => &mut self.multi_prefix,
            "sasl" => &mut self.sasl,
            "server-time" => &mut self.server_time,
            "setname" => &mut self.setname,
            "userhost-in-names" => &mut self.userhost_in_names,
            _ => return None,
        })
    }

    /// Sets (`on`) or clears the capability `name`; false if it is not offered.
    pub fn set(&mut self, name: &str, on: bool) -> bool {
        self.flag(name).map(|flag| *flag = on).is_some()
    }

    /// The names of those set, space-separated.
    pub fn names(&self) -> String {
        let mut me = *self;
        CAPS.iter().copied().filter(|c| me.flag(c).is_some_and(|on| *on)).collect::<Vec<_>>().join(" ")
    }
}
