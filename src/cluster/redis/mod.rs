//! The Redis transport: two connections per node (commands, pipelined in
//! order; and a dedicated subscriber, read as a stream), their handshake,
//! reply deadlines, reconnecting with backoff, and the bounded publish
//! queue. It knows RESP and sockets, not what the messages mean: that is
//! `cluster::claims`, `cluster::presence` and the chat core's glue.
//!
//! Nothing here blocks: connects complete on writable events, writes go out
//! once per loop turn, and a Redis that stops answering is noticed by a
//! reply deadline, never waited for.

pub mod conn;
pub mod resp;
mod url;

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use log::{debug, info, warn};
use mio::{Registry, Token};

use crate::net::LINK_TOKENS;
use conn::{Kind, ReadOutcome, RespConn, Tag};
use resp::Frame;
pub use url::RedisUrl;

/// Settings of the link.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    pub url: RedisUrl,
    /// This node's name (the connections' client names).
    pub node_id: String,
    /// Unsent publications past this many bytes: the oldest are dropped.
    pub max_outbuf: usize,
    /// Lua scripts loaded on every connect, for EVALSHA.
    pub scripts: &'static [&'static str],
}

/// What the link hands its owner.
#[derive(Debug)]
pub enum Incoming {
    /// Both connections are ready: announce ourselves, re-claim, resync.
    Up,
    /// The link was lost (or never came): serve locally until it returns.
    Down,
    /// A publication on the cluster channel (ours included).
    Message(Vec<u8>),
    /// The reply to a command sent with this tag.
    Reply(Tag, Frame),
}

/// Counters for `/metrics`.
#[derive(Debug, Default, Clone)]
pub struct ClusterStats {
    pub published: u64,
    pub received: u64,
    /// Publications dropped because Redis could not keep up (`--redis-max-outbuf`).
    pub dropped_backlog: u64,
    /// Publications not sent because the link was down.
    pub dropped_down: u64,
    /// Times the link was lost or failed to come up after being up.
    pub outages: u64,
    /// Unsent bytes queued for Redis.
    pub queued_bytes: usize,
}

/// Replies that are the handshake's, checked and not handed on.
const HANDSHAKE: Tag = u64::MAX;
/// A connect must complete within this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// A command unanswered this long means Redis is stuck (SIGSTOP, overload):
/// the link is dropped and dialled again.
const REPLY_DEADLINE: Duration = Duration::from_secs(3);
/// Reconnect delays: full jitter from the first, doubling up to the cap
/// (so a returning Redis is found within about 2 s).
const BACKOFF_FIRST: Duration = Duration::from_millis(100);
const BACKOFF_CAP: Duration = Duration::from_secs(2);

const CMD_TOKEN: Token = Token(LINK_TOKENS);
const SUB_TOKEN: Token = Token(LINK_TOKENS + 1);

enum State {
    /// Waiting to dial again.
    Down {
        retry_at: Instant,
    },
    /// Dialled; handshake replies outstanding.
    Connecting {
        since: Instant,
    },
    Up,
}

pub struct Redis {
    pub cfg: RedisConfig,
    registry: Option<Registry>,
    /// Redis's address, once resolved.
    addr: Option<SocketAddr>,
    cmd: Option<RespConn>,
    sub: Option<RespConn>,
    state: State,
    /// Handshake replies still expected on the command connection.
    handshake_left: usize,
    /// The subscriber connection confirmed its subscription.
    subscribed: bool,
    /// Failed attempts since the link was last up (drives the backoff).
    attempts: u32,
    /// The current outage was logged (logged once, not per attempt).
    outage_logged: bool,
    /// The channel every node publishes on and listens to; prefixed with
    /// the database, since SELECT does not scope pub/sub.
    pub channel: Vec<u8>,
    incoming: Vec<Incoming>,
    pub stats: ClusterStats,
    rng: u64,
    /// A connection had more to read than one turn takes (edge-triggered:
    /// no new event would say so): read on at the next turn.
    read_more: [bool; 2],
}

/// Reads per connection per loop turn: a burst from Redis reaches local
/// clients turn by turn, flushed between, rather than queued whole.
const READS_PER_TURN: usize = 4;

impl Redis {
    pub fn new(cfg: RedisConfig) -> Redis {
        let channel = format!("linechat:{}:events", cfg.url.db).into_bytes();
        let seed = crate::clock::unix_now() ^ (u64::from(std::process::id()) << 32);
        Redis {
            cfg,
            registry: None,
            addr: None,
            cmd: None,
            sub: None,
            state: State::Down { retry_at: Instant::now() },
            handshake_left: 0,
            subscribed: false,
            attempts: 0,
            outage_logged: false,
            channel,
            incoming: Vec::new(),
            stats: ClusterStats::default(),
            rng: seed | 1,
            read_more: [false; 2],
        }
    }

    /// Takes the loop's registry; the first dial happens on the next turn.
    pub fn start(&mut self, registry: &Registry) {
        match registry.try_clone() {
            Ok(r) => self.registry = Some(r),
            Err(e) => warn!("cluster: cannot use the poll registry ({e}); running standalone"),
        }
    }

    pub fn is_up(&self) -> bool {
        matches!(self.state, State::Up)
    }

    /// What has arrived since the last call.
    pub fn take_incoming(&mut self) -> Vec<Incoming> {
        std::mem::take(&mut self.incoming)
    }

    /// Queues a publication on the cluster channel. While the link is down
    /// it is dropped (counted): cross-node traffic resumes with a resync,
    /// not with a replay of stale lines.
    pub fn publish(&mut self, payload: &[u8]) {
        let Some(cmd) = self.cmd.as_mut().filter(|_| matches!(self.state, State::Up)) else {
            self.stats.dropped_down += 1;
            return;
        };
        let mut bytes = Vec::with_capacity(payload.len() + self.channel.len() + 40);
        resp::command::<&[u8]>(&mut bytes, &[b"PUBLISH", &self.channel, payload]);
        cmd.push(bytes, 0, Kind::Publish);
        self.stats.published += 1;
    }

    /// Sends a command whose reply comes back as `Incoming::Reply(tag, ..)`.
    /// Returns false (nothing sent) while the link is not up.
    pub fn command<A: AsRef<[u8]>>(&mut self, args: &[A], tag: Tag) -> bool {
        let Some(cmd) = self.cmd.as_mut().filter(|_| matches!(self.state, State::Up)) else {
            return false;
        };
        let mut bytes = Vec::new();
        resp::command(&mut bytes, args);
        cmd.push(bytes, tag, Kind::Command);
        true
    }

    /// When the link next needs attention without any event.
    pub fn next_wake(&self) -> Option<Instant> {
        if self.read_more.contains(&true) {
            return Some(Instant::now());
        }
        match self.state {
            State::Down { retry_at } => Some(retry_at),
            State::Connecting { since } => Some(since + CONNECT_TIMEOUT.max(REPLY_DEADLINE)),
            State::Up => self.cmd.as_ref()?.awaiting.front().map(|(_, at)| *at + REPLY_DEADLINE),
        }
    }

    /// Timers: dialling, connect and reply deadlines; then the turn's writes.
    pub fn turn(&mut self, now: Instant) {
        for (i, token) in [CMD_TOKEN, SUB_TOKEN].into_iter().enumerate() {
            if std::mem::take(&mut self.read_more[i]) {
                self.ready(token, now);
            }
        }
        match self.state {
            State::Down { retry_at } if now >= retry_at => self.dial(now),
            State::Connecting { since } => {
                let connected = self.cmd.as_ref().is_some_and(|l| l.connected);
                if !connected && now >= since + CONNECT_TIMEOUT {
                    self.fail("connect timed out", now);
                } else if now >= since + REPLY_DEADLINE {
                    self.fail("no handshake reply", now);
                }
            }
            _ => {}
        }
        let late = self
            .cmd
            .as_ref()
            .and_then(|l| l.awaiting.front())
            .is_some_and(|(_, at)| now >= *at + REPLY_DEADLINE);
        if late {
            self.fail("Redis stopped answering", now);
        }
        self.flush(now);
    }

    fn flush(&mut self, now: Instant) {
        let max = self.cfg.max_outbuf;
        if let Some(cmd) = self.cmd.as_mut() {
            if cmd.queued() > max {
                let dropped = cmd.drop_oldest(max);
                if dropped > 0 && self.stats.dropped_backlog == 0 {
                    warn!("cluster: Redis is not keeping up; dropping the oldest publications (--redis-max-outbuf)");
                }
                self.stats.dropped_backlog += dropped;
            }
        }
        let mut failed = None;
        for link in [self.cmd.as_mut(), self.sub.as_mut()].into_iter().flatten() {
            if let Err(e) = link.flush(now) {
                failed = Some(e);
            }
        }
        self.stats.queued_bytes = self.cmd.as_ref().map_or(0, RespConn::queued);
        if let Some(e) = failed {
            self.fail(&format!("write failed: {e}"), now);
        }
    }

    fn backoff(&mut self) -> Duration {
        // xorshift: jitter needs no quality, only spread between nodes.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let ceiling = BACKOFF_FIRST.saturating_mul(1 << self.attempts.min(5)).min(BACKOFF_CAP);
        let ms = ceiling.as_millis() as u64;
        Duration::from_millis(ms / 2 + self.rng % (ms / 2 + 1))
    }

    fn dial(&mut self, now: Instant) {
        let Some(registry) = self.registry.as_ref() else { return };
        let url = &self.cfg.url;
        // Resolving blocks (getaddrinfo): done once, and again only while it fails.
        if self.addr.is_none() {
            self.addr = (url.host.as_str(), url.port).to_socket_addrs().ok().and_then(|mut a| a.next());
        }
        let Some(addr) = self.addr else {
            return self.fail(&format!("cannot resolve {}", url.host), now);
        };
        let links = RespConn::connect(addr, registry, CMD_TOKEN, false)
            .and_then(|cmd| Ok((cmd, RespConn::connect(addr, registry, SUB_TOKEN, true)?)));
        let (mut cmd, mut sub) = match links {
            Ok(l) => l,
            Err(e) => return self.fail(&format!("connect: {e}"), now),
        };
        debug!("cluster: dialling {addr}");
        let node = self.cfg.node_id.clone();
        let hello = |link: &mut RespConn, role: &str| -> usize {
            let mut n = 0;
            let mut push = |args: &[&[u8]]| {
                let mut bytes = Vec::new();
                resp::command(&mut bytes, args);
                link.push(bytes, HANDSHAKE, Kind::Command);
                n += 1;
            };
            match (&url.user, &url.password) {
                (Some(u), Some(p)) => push(&[b"AUTH", u.as_bytes(), p.as_bytes()]),
                (None, Some(p)) => push(&[b"AUTH", p.as_bytes()]),
                _ => {}
            }
            push(&[b"CLIENT", b"SETNAME", format!("linechat-{node}-{role}").as_bytes()]);
            n
        };
        self.handshake_left = hello(&mut cmd, "cmd");
        hello(&mut sub, "sub");
        let mut push = |args: &[&[u8]]| {
            let mut bytes = Vec::new();
            resp::command(&mut bytes, args);
            cmd.push(bytes, HANDSHAKE, Kind::Command);
        };
        if url.db != 0 {
            push(&[b"SELECT", url.db.to_string().as_bytes()]);
        }
        for script in self.cfg.scripts {
            push(&[b"SCRIPT", b"LOAD", script.as_bytes()]);
        }
        self.handshake_left += self.cfg.scripts.len() + usize::from(url.db != 0);
        let mut bytes = Vec::new();
        resp::command::<&[u8]>(&mut bytes, &[b"SUBSCRIBE", &self.channel]);
        sub.push(bytes, HANDSHAKE, Kind::Command);
        self.subscribed = false;
        self.cmd = Some(cmd);
        self.sub = Some(sub);
        self.state = State::Connecting { since: now };
    }

    /// Drops both connections and schedules the next attempt.
    fn fail(&mut self, why: &str, now: Instant) {
        let was_up = self.is_up();
        self.read_more = [false; 2];
        if let Some(registry) = self.registry.as_ref() {
            for link in [self.cmd.take(), self.sub.take()].into_iter().flatten() {
                link.close(registry);
            }
        }
        if was_up {
            self.stats.outages += 1;
        }
        if !self.outage_logged {
            warn!(
                "cluster: Redis at {} unreachable ({why}); serving local clients alone until it returns",
                self.cfg.url
            );
            self.outage_logged = true;
            self.incoming.push(Incoming::Down);
        } else {
            debug!("cluster: attempt failed: {why}");
        }
        let delay = self.backoff();
        self.attempts = self.attempts.saturating_add(1);
        self.state = State::Down { retry_at: now + delay };
    }

    /// Drops the link and dials again (the Hub saw it go deaf).
    pub fn reconnect(&mut self, why: &str, now: Instant) {
        if !matches!(self.state, State::Down { .. }) {
            self.fail(why, now);
        }
    }

    /// A readiness event for one of the link's sockets.
    pub fn ready(&mut self, token: Token, now: Instant) {
        let is_cmd = token == CMD_TOKEN;
        let result = self.pump(is_cmd);
        if let Err(why) = result {
            self.fail(&why, now);
        } else if matches!(self.state, State::Connecting { .. })
            && self.handshake_left == 0
            && self.subscribed
        {
            self.state = State::Up;
            self.attempts = 0;
            info!("cluster: connected to Redis at {} as node {}", self.cfg.url, self.cfg.node_id);
            self.outage_logged = false;
            self.incoming.push(Incoming::Up);
        }
        self.flush(now);
    }

    fn pump(&mut self, is_cmd: bool) -> Result<(), String> {
        let link = if is_cmd { self.cmd.as_mut() } else { self.sub.as_mut() };
        let Some(link) = link else { return Ok(()) };
        if !link.check_connected().map_err(|e| format!("connect: {e}"))? {
            return Ok(());
        }
        // Writes go out in `ready`'s flush, after this.
        for _ in 0..READS_PER_TURN {
            let outcome = link.read_some().map_err(|e| format!("read: {e}"))?;
            while let Some(frame) = link.next_frame().map_err(|e| e.to_string())? {
                if is_cmd {
                    let Some((tag, _)) = link.awaiting.pop_front() else {
                        return Err("a reply nobody asked for".into());
                    };
                    if tag == HANDSHAKE {
                        if let Frame::Error(e) = &frame {
                            return Err(format!("handshake refused: {e}"));
                        }
                        self.handshake_left = self.handshake_left.saturating_sub(1);
                    } else {
                        if let (Frame::Error(e), 0) = (&frame, tag) {
                            debug!("cluster: Redis refused a publication: {e}");
                        }
                        if tag != 0 {
                            self.incoming.push(Incoming::Reply(tag, frame));
                        }
                    }
                } else {
                    match frame {
                        Frame::Error(e) => return Err(format!("subscriber refused: {e}")),
                        Frame::Array(Some(mut parts)) if parts.len() == 3 => {
                            let kind = parts[0].as_bytes().unwrap_or_default().to_ascii_lowercase();
                            if kind == b"message" {
                                if let Frame::Bulk(Some(payload)) = parts.swap_remove(2) {
                                    self.stats.received += 1;
                                    self.incoming.push(Incoming::Message(payload));
                                }
                            } else if kind == b"subscribe" {
                                self.subscribed = true;
                            }
                        }
                        _ => {}
                    }
                }
            }
            match outcome {
                ReadOutcome::Data => {}
                ReadOutcome::Drained => return Ok(()),
                ReadOutcome::Closed => return Err("Redis closed the connection".into()),
            }
        }
        self.read_more[usize::from(!is_cmd)] = true;
        Ok(())
    }
}
