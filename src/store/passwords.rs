//! Passwords, off the loop: argon2id with OWASP's parameters (19 MiB,
//! two passes, one lane), stored as a PHC string. One helper thread
//! hashes and verifies; the loop hands it jobs and it wakes the loop
//! through a `mio::Waker` when one is done, as Redis's background threads
//! do, so a 25 ms hash never stalls anyone. Before the thread starts (unit
//! tests, the simulated loop) jobs run at once on the caller's thread.
//!
//! A password is a [`Secret`]: it is never printed, and its bytes are
//! zeroed when it is dropped.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// Jobs given to the thread and not yet answered, at most: more are
/// refused (the client is told the server is busy) rather than queued
/// without bound, each hash taking 19 MiB and 25 ms.
pub const MAX_IN_FLIGHT: usize = 64;

/// A password as received: never printed, zeroed when dropped.
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: &[u8]) -> Secret {
        Secret(bytes.to_vec())
    }

    /// Takes `bytes` over (no copy left behind).
    pub fn from_vec(bytes: Vec<u8>) -> Secret {
        Secret(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Is `given` this secret? Compared in time that depends on the
    /// lengths only, not on where the bytes first differ.
    pub fn matches(&self, given: &[u8]) -> bool {
        let diff = self.0.iter().zip(given).fold(0u8, |acc, (a, b)| acc | (a ^ b));
        diff == 0 && self.0.len() == given.len()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        for b in self.0.iter_mut() {
            // A volatile write, so the zeroing is not optimised away.
            unsafe { std::ptr::write_volatile(b, 0) };
        }
    }
}

/// What argon2id costs: memory in KiB and passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    pub memory_kib: u32,
    pub passes: u32,
}

impl HashCost {
    /// OWASP's parameters for argon2id: 19 MiB, two passes, one lane.
    pub const OWASP: HashCost = HashCost { memory_kib: 19 * 1024, passes: 2 };
    /// The cheapest argon2id, for tests of the logic around it.
    pub const CHEAP: HashCost = HashCost { memory_kib: 8, passes: 1 };

    fn argon2(self) -> Argon2<'static> {
        let params = Params::new(self.memory_kib, self.passes, 1, None).unwrap_or_default();
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }
}

/// Work for the thread.
#[derive(Debug)]
pub enum Job {
    /// Hash a new password.
    Hash(Secret),
    /// Does `password` match `hash`? (`None`: an unknown account; a hash
    /// is still checked, so both take as long, and the answer is no.)
    Verify { password: Secret, hash: Option<String> },
    /// Does `old` match `hash`? Then hash `new`.
    Change { old: Secret, hash: String, new: Secret },
}

/// What a job came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The PHC string (or why hashing failed).
    Hashed(Result<String, String>),
    Verified(bool),
    /// The new PHC string, if the old password matched.
    Changed(Option<String>),
}

/// What a job is called while it is in flight.
pub type Ticket = u64;

/// The worker: argon2 with its cost, and the hash unknown accounts are
/// checked against (made on first need).
struct Worker {
    argon2: Argon2<'static>,
    decoy: Option<String>,
}

impl Worker {
    fn new(cost: HashCost) -> Worker {
        Worker { argon2: cost.argon2(), decoy: None }
    }

    fn run(&mut self, job: Job) -> Answer {
        match job {
            Job::Hash(password) => Answer::Hashed(self.hash(&password)),
            Job::Verify { password, hash: Some(hash) } => Answer::Verified(self.verify(&password, &hash)),
            Job::Verify { password, hash: None } => {
                if self.decoy.is_none() {
                    self.decoy = self.hash(&Secret::new(b"linechat: no such account")).ok();
                }
                let decoy = self.decoy.clone().unwrap_or_default();
                self.verify(&password, &decoy);
                Answer::Verified(false)
            }
            Job::Change { old, hash, new } => {
                Answer::Changed(if self.verify(&old, &hash) { self.hash(&new).ok() } else { None })
            }
        }
    }

    fn hash(&self, password: &Secret) -> Result<String, String> {
        self.argon2.hash_password(&password.0).map(|h| h.to_string()).map_err(|e| e.to_string())
    }

    /// Checked in constant time by argon2 (the hash's own parameters count).
    fn verify(&self, password: &Secret, hash: &str) -> bool {
        self.argon2.verify_password(&password.0, hash).is_ok()
    }
}

/// The thread, seen from the loop.
struct Thread {
    jobs: Option<Sender<(Ticket, Job)>>,
    done: Receiver<(Ticket, Answer)>,
    handle: Option<JoinHandle<()>>,
}

impl Drop for Thread {
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// Hashing and checking passwords for the loop.
pub struct Hasher {
    cost: HashCost,
    thread: Option<Thread>,
    /// Answered before the thread started (computed at once, by `inline`).
    answered: Vec<(Ticket, Answer)>,
    inline: Option<Worker>,
    in_flight: usize,
    last: Ticket,
    /// Jobs done, and refused for being too many.
    pub done: u64,
    pub refused: u64,
}

impl Hasher {
    pub fn new(cost: HashCost) -> Hasher {
        Hasher {
            cost,
            thread: None,
            answered: Vec::new(),
            inline: None,
            in_flight: 0,
            last: 0,
            done: 0,
            refused: 0,
        }
    }

    /// Starts the thread; it wakes the loop through `waker` (the store's:
    /// mio allows one per poll).
    pub fn start(&mut self, waker: Arc<mio::Waker>) -> std::io::Result<()> {
        if self.thread.is_some() {
            return Ok(());
        }
        let (jobs, rx) = mpsc::channel::<(Ticket, Job)>();
        let (tx, done) = mpsc::channel();
        let cost = self.cost;
        let handle = std::thread::Builder::new().name("linechat-hash".into()).spawn(move || {
            let mut worker = Worker::new(cost);
            while let Ok((ticket, job)) = rx.recv() {
                if tx.send((ticket, worker.run(job))).is_err() {
                    return;
                }
                let _ = waker.wake();
            }
        })?;
        self.thread = Some(Thread { jobs: Some(jobs), done, handle: Some(handle) });
        Ok(())
    }

    /// Hands `job` over; `None` when [`MAX_IN_FLIGHT`] are already waiting.
    pub fn submit(&mut self, job: Job) -> Option<Ticket> {
        if self.in_flight >= MAX_IN_FLIGHT {
            self.refused += 1;
            return None;
        }
        self.last += 1;
        let ticket = self.last;
        match &self.thread {
            Some(thread) => {
                let sent = thread.jobs.as_ref().is_some_and(|j| j.send((ticket, job)).is_ok());
                if !sent {
                    return None;
                }
            }
            None => {
                let cost = self.cost;
                let answer = self.inline.get_or_insert_with(|| Worker::new(cost)).run(job);
                self.answered.push((ticket, answer));
            }
        }
        self.in_flight += 1;
        Some(ticket)
    }

    /// The answers that came since the last call.
    pub fn take(&mut self) -> Vec<(Ticket, Answer)> {
        let mut answers = std::mem::take(&mut self.answered);
        if let Some(thread) = &self.thread {
            answers.extend(thread.done.try_iter());
        }
        self.in_flight -= answers.len().min(self.in_flight);
        self.done += answers.len() as u64;
        answers
    }

    /// Jobs handed over and not yet taken back.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }
}

/// A PHC string for `password` with OWASP's parameters, computed here
/// (`linechat hash-password`).
pub fn hash_now(password: &[u8]) -> Result<String, String> {
    HashCost::OWASP.argon2().hash_password(password).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Does `password` match the PHC string `hash`? Computed here (the
/// operator file's checks go through [`Job::Verify`]; this is for tests).
pub fn verify_now(password: &[u8], hash: &str) -> bool {
    HashCost::CHEAP.argon2().verify_password(password, hash).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_changes_need_the_old_password() {
        let mut h = Hasher::new(HashCost::CHEAP);
        let t = h.submit(Job::Hash(Secret::new(b"hunter2hunter2"))).unwrap();
        let answers = h.take();
        let Answer::Hashed(Ok(hash)) = &answers[0].1 else { panic!("{answers:?}") };
        assert_eq!(answers[0].0, t);
        assert!(hash.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{hash}");
        assert!(!hash.contains("hunter2"));
        assert!(verify_now(b"hunter2hunter2", hash));
        for (password, known, matched) in
            [("hunter2hunter2", true, true), ("wrong", true, false), ("x", false, false)]
        {
            let stored = known.then(|| hash.clone());
            h.submit(Job::Verify { password: Secret::new(password.as_bytes()), hash: stored }).unwrap();
            assert_eq!(h.take()[0].1, Answer::Verified(matched), "{password}");
        }
        h.submit(Job::Change { old: Secret::new(b"bad"), hash: hash.clone(), new: Secret::new(b"n") })
            .unwrap();
        assert_eq!(h.take()[0].1, Answer::Changed(None));
        h.submit(Job::Change {
            old: Secret::new(b"hunter2hunter2"),
            hash: hash.clone(),
            new: Secret::new(b"n"),
        })
        .unwrap();
        let Answer::Changed(Some(new)) = &h.take()[0].1 else { panic!() };
        assert!(verify_now(b"n", new) && !verify_now(b"hunter2hunter2", new));
        assert_eq!(h.in_flight(), 0);
        assert_eq!(format!("{:?}", Secret::new(b"pw")), "Secret(..)");
    }

    #[test]
    fn too_many_jobs_at_once_are_refused() {
        let mut h = Hasher::new(HashCost::CHEAP);
        for _ in 0..MAX_IN_FLIGHT {
            assert!(h.submit(Job::Verify { password: Secret::new(b"p"), hash: None }).is_some());
        }
        assert!(h.submit(Job::Verify { password: Secret::new(b"p"), hash: None }).is_none());
        assert_eq!(h.refused, 1);
        assert_eq!(h.take().len(), MAX_IN_FLIGHT);
        assert!(h.submit(Job::Verify { password: Secret::new(b"p"), hash: None }).is_some());
    }
}
