//! Nickname claims in Redis, as commands and their meaning, with no socket:
//! the key of a nickname, the owner string (`claimed_ms|node`, so that after
//! a split the older claim wins), the Lua scripts that refresh and release
//! only one's own claims, the nicknames this node holds, and the claims
//! whose replies are awaited (by tag). The transport (`redis/`) sends the
//! commands built here; the chat core's glue acts on the answers.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::redis::conn::Tag;
use super::redis::resp::Frame;

/// Owner-checked Lua, run atomically by Redis. `REFRESH` keeps a claim,
/// re-takes a lapsed one, and settles two claims of one nick made while
/// Redis was away: the older claim (`claimed_ms|node`, compared as a pair)
/// keeps it. Returns 1 when the claim is ours now, 0 when it is not.
pub const REFRESH_SCRIPT: &str = r#"local c = redis.call('GET', KEYS[1])
if c and c ~= ARGV[1] then
  local cm, cn = string.match(c, '^(%d+)|(.*)$')
  local om, on = string.match(ARGV[1], '^(%d+)|(.*)$')
  cm = tonumber(cm) or 0
  om = tonumber(om) or 0
  if cm < om or (cm == om and (cn or '') <= (on or '')) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1"#;

/// Compare-and-delete: frees a nick only if the claim is still ours.
pub const RELEASE_SCRIPT: &str = r#"if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0"#;

/// The scripts the transport loads on every connect.
pub const SCRIPTS: &[&str] = &[REFRESH_SCRIPT, RELEASE_SCRIPT];

/// A command for the transport: its words, and the tag its reply comes back
/// under (0: no one waits for it).
pub type Request = (Vec<Vec<u8>>, Tag);

/// A claim whose reply is awaited, with what the caller wants done once
/// it is settled (`P`: the chat core's purpose).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Awaited<P> {
    /// A new claim (`SET NX`) of `nick` for `who`, made at `ms`.
    Claim { who: usize, nick: String, folded: String, ms: u64, purpose: P },
    /// A refresh of a claim this node holds.
    Refresh { folded: String, ms: u64 },
}

/// What a reply settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<P> {
    /// A claim: granted or not (no reply, the link having failed: granted,
    /// as the node is alone now).
    Claim { who: usize, nick: String, ms: u64, purpose: P, granted: bool },
    /// Another node's older claim holds a nick this node had: give it up.
    Lost { folded: String },
    /// Nothing to do.
    Nothing,
}

/// This node's claims.
pub struct Claims<P> {
    node: String,
    ttl: Duration,
    refresh_sha: String,
    release_sha: String,
    /// This node's nicknames (folded) and when each was claimed (Unix ms).
    owned: HashMap<String, u64>,
    awaited: HashMap<Tag, Awaited<P>>,
    next_tag: Tag,
    next_refresh: Instant,
}

impl<P> Claims<P> {
    /// Claims of `node`, living `ttl` without refresh.
    pub fn new(node: &str, ttl: Duration, now: Instant) -> Claims<P> {
        Claims {
            node: node.to_string(),
            ttl,
            refresh_sha: sha1_smol::Sha1::from(REFRESH_SCRIPT).digest().to_string(),
            release_sha: sha1_smol::Sha1::from(RELEASE_SCRIPT).digest().to_string(),
            owned: HashMap::new(),
            awaited: HashMap::new(),
            next_tag: 0,
            next_refresh: now,
        }
    }

    /// The Redis key of a (folded) nickname's claim.
    pub fn key(folded: &str) -> String {
        format!("linechat:nick:{folded}")
    }

    /// The owner string of a claim this node made at `ms`.
    pub fn owner(&self, ms: u64) -> String {
        format!("{ms}|{}", self.node)
    }

    fn ttl_ms(&self) -> Vec<u8> {
        self.ttl.as_millis().to_string().into_bytes()
    }

    fn await_reply(&mut self, awaited: Awaited<P>) -> Tag {
        self.next_tag += 1;
        self.awaited.insert(self.next_tag, awaited);
        self.next_tag
    }

    /// A new claim of `nick` (folded `folded`) for `who` at `ms`:
    /// `SET key owner NX PX ttl`, answered `+OK` or nil.
    pub fn claim(&mut self, who: usize, nick: &str, folded: &str, ms: u64, purpose: P) -> Request {
        let words = vec![
            b"SET".to_vec(),
            Self::key(folded).into_bytes(),
            self.owner(ms).into_bytes(),
            b"NX".to_vec(),
            b"PX".to_vec(),
            self.ttl_ms(),
        ];
        let awaited = Awaited::Claim { who, nick: nick.to_string(), folded: folded.to_string(), ms, purpose };
        let tag = self.await_reply(awaited);
        (words, tag)
    }

    /// The claim sent under `tag` could not be sent after all.
    pub fn withdraw(&mut self, tag: Tag) {
        self.awaited.remove(&tag);
    }

    /// This node now holds `folded` (claimed at `ms`, or, if it does not
    /// yet, now).
    pub fn own(&mut self, folded: &str, ms: Option<u64>, now_ms: u64) {
        match ms {
            Some(ms) => {
                self.owned.insert(folded.to_string(), ms);
            }
            None => {
                self.owned.entry(folded.to_string()).or_insert(now_ms);
            }
        }
    }

    /// When this node claimed `folded`, if it holds it.
    pub fn owned_ms(&self, folded: &str) -> Option<u64> {
        self.owned.get(folded).copied()
    }

    /// This node gives up `folded`: the release command, if it held it.
    pub fn release(&mut self, folded: &str) -> Option<Request> {
        let ms = self.owned.remove(folded)?;
        Some((self.release_words(folded, ms), 0))
    }

    /// Gives up `folded` without a word to Redis (another node's older claim has it).
    pub fn drop_owned(&mut self, folded: &str) {
        self.owned.remove(folded);
    }

    fn release_words(&self, folded: &str, ms: u64) -> Vec<Vec<u8>> {
        let (sha, key, owner) = (self.release_sha.clone(), Self::key(folded), self.owner(ms));
        vec![b"EVALSHA".to_vec(), sha.into_bytes(), b"1".to_vec(), key.into_bytes(), owner.into_bytes()]
    }

    /// Is a refresh of every claim due?
    pub fn refresh_due(&self, now: Instant) -> bool {
        now >= self.next_refresh
    }

    /// When the next refresh is due.
    pub fn next_refresh(&self) -> Instant {
        self.next_refresh
    }

    /// Refreshes (or, after a split, re-takes or gives up) every claim this
    /// node holds; the next refresh is due a third of the TTL later.
    pub fn refresh_all(&mut self, now: Instant) -> Vec<Request> {
        let owned: Vec<(String, u64)> = self.owned.iter().map(|(f, &ms)| (f.clone(), ms)).collect();
        let mut requests = Vec::with_capacity(owned.len());
        for (folded, ms) in owned {
            let words = vec![
                b"EVALSHA".to_vec(),
                self.refresh_sha.clone().into_bytes(),
                b"1".to_vec(),
                Self::key(&folded).into_bytes(),
                self.owner(ms).into_bytes(),
                self.ttl_ms(),
            ];
            let tag = self.await_reply(Awaited::Refresh { folded, ms });
            requests.push((words, tag));
        }
        self.next_refresh = now + self.ttl / 3;
        requests
    }

    /// Every tag awaiting a reply (the link failed: none will come).
    pub fn awaited_tags(&self) -> Vec<Tag> {
        self.awaited.keys().copied().collect()
    }

    /// The reply to `tag` (`None`: the link failed before it came); with
    /// `alive`, whether the claim's asker still waits for it. A claim
    /// granted for someone gone is released at once (`release`).
    pub fn answered(
        &mut self,
        tag: Tag,
        reply: Option<&Frame>,
        alive: impl Fn(usize) -> bool,
    ) -> (Answer<P>, Option<Request>) {
        match self.awaited.remove(&tag) {
            None => (Answer::Nothing, None),
            Some(Awaited::Refresh { folded, ms }) => {
                // 0: another node's older claim holds it (settled after a split).
                if reply == Some(&Frame::Integer(0)) && self.owned.get(&folded) == Some(&ms) {
                    self.owned.remove(&folded);
                    return (Answer::Lost { folded }, None);
                }
                (Answer::Nothing, None)
            }
            Some(Awaited::Claim { who, nick, folded, ms, purpose }) => {
                let granted = !matches!(reply, Some(Frame::Bulk(None)) | Some(Frame::Error(_)));
                if !alive(who) {
                    let release = (granted && reply.is_some()).then(|| (self.release_words(&folded, ms), 0));
                    return (Answer::Nothing, release);
                }
                (Answer::Claim { who, nick, ms, purpose, granted }, None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(words: &[Vec<u8>]) -> String {
        words.iter().map(|w| String::from_utf8_lossy(w).into_owned()).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn a_claim_is_set_nx_with_the_ttl_and_its_answer_comes_back_by_tag() {
        let now = Instant::now();
        let mut c: Claims<&str> = Claims::new("n1", Duration::from_secs(3), now);
        let (words, tag) = c.claim(7, "Alice", "alice", 1000, "first");
        assert_eq!(text(&words), "SET linechat:nick:alice 1000|n1 NX PX 3000");
        let (answer, release) = c.answered(tag, Some(&Frame::Simple("OK".into())), |_| true);
        assert_eq!(
            answer,
            Answer::Claim { who: 7, nick: "Alice".into(), ms: 1000, purpose: "first", granted: true }
        );
        assert!(release.is_none());
        // Refused: nil. No reply (the link failed): granted, the node is alone.
        let (_, tag) = c.claim(7, "bob", "bob", 1001, "first");
        assert!(matches!(
            c.answered(tag, Some(&Frame::Bulk(None)), |_| true).0,
            Answer::Claim { granted: false, .. }
        ));
        let (_, tag) = c.claim(7, "bob", "bob", 1001, "first");
        assert!(matches!(c.answered(tag, None, |_| true).0, Answer::Claim { granted: true, .. }));
        assert_eq!(c.answered(tag, None, |_| true).0, Answer::Nothing, "an answer comes once");
    }

    #[test]
    fn a_claim_granted_to_someone_gone_is_released() {
        let mut c: Claims<()> = Claims::new("n1", Duration::from_secs(3), Instant::now());
        let (_, tag) = c.claim(3, "carol", "carol", 5, ());
        let (answer, release) = c.answered(tag, Some(&Frame::Simple("OK".into())), |_| false);
        assert_eq!(answer, Answer::Nothing);
        let (words, _) = release.expect("released");
        assert!(text(&words).ends_with(" 1 linechat:nick:carol 5|n1"), "{}", text(&words));
    }

    #[test]
    fn refreshes_come_every_third_of_the_ttl_and_a_lost_one_gives_the_nick_up() {
        let t0 = Instant::now();
        let mut c: Claims<()> = Claims::new("n2", Duration::from_secs(3), t0);
        c.own("dup", Some(42), 0);
        assert!(c.refresh_due(t0));
        let requests = c.refresh_all(t0);
        assert_eq!(requests.len(), 1);
        assert!(text(&requests[0].0).ends_with(" 1 linechat:nick:dup 42|n2 3000"));
        assert_eq!(c.next_refresh(), t0 + Duration::from_secs(1));
        assert!(!c.refresh_due(t0 + Duration::from_millis(999)));
        let (answer, _) = c.answered(requests[0].1, Some(&Frame::Integer(0)), |_| true);
        assert_eq!(answer, Answer::Lost { folded: "dup".into() });
        assert_eq!(c.owned_ms("dup"), None);
        assert!(c.release("dup").is_none(), "nothing left to release");
    }
}
