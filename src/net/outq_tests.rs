//! Tests of the output queue: partial writes, tick buffers, WebSocket frames and fences.

use super::*;
use std::io::{self, Write};

/// Accepts `room` bytes per call until `budget` is spent, then `WouldBlock`.
struct Trickle {
    got: Vec<u8>,
    budget: usize,
    room: usize,
}
impl Write for Trickle {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        if self.budget == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = b.len().min(self.room).min(self.budget);
        self.got.extend_from_slice(&b[..n]);
        self.budget -= n;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn out_queue_resumes_partial_writes_in_order() {
    let mut q = OutQueue::default();
    let a: Chunk = Rc::new(b"hello\n".to_vec());
    let b: Chunk = Rc::new(b"world\n".to_vec());
    q.push(a.clone());
    q.push(b);
    q.push(a);
    let mut w = Trickle { got: Vec::new(), budget: 7, room: 4 };
    assert_eq!(q.flush(&mut w).unwrap(), (Flushed::Blocked, 7));
    assert_eq!(q.queued(), 11);
    w.budget = 100;
    assert_eq!(q.flush(&mut w).unwrap(), (Flushed::Drained, 11));
    assert_eq!(w.got, b"hello\nworld\nhello\n");
    assert!(q.is_empty());
}

#[test]
fn fenced_output_waits_for_its_epoch_and_goes_in_order() {
    let mut q = OutQueue::default();
    let mut out = Vec::new();
    // Tick 1, no epoch: free.
    q.push(Rc::new(b"free\n".to_vec()));
    assert!(!q.end_tick(None));
    // Tick 2 waits for epoch 1, tick 3 for epoch 2.
    q.push(Rc::new(b"one\n".to_vec()));
    assert!(q.end_tick(Some(1)), "a free queue starts waiting");
    q.push(Rc::new(b"two\n".to_vec()));
    assert!(!q.end_tick(Some(2)));
    assert_eq!(q.flush(&mut out).unwrap(), (Flushed::Held, 5));
    assert_eq!(out, b"free\n");
    assert!(!q.release(0), "an older epoch releases nothing");
    assert!(q.release(1));
    assert_eq!(q.flush(&mut out).unwrap(), (Flushed::Held, 4));
    assert_eq!(out, b"free\none\n");
    // Queued during the tick that released epoch 2: it waits for that
    // tick's end, which gives it no epoch.
    q.push(Rc::new(b"three\n".to_vec()));
    assert!(q.release(2));
    assert_eq!(q.flush(&mut out).unwrap(), (Flushed::Held, 4));
    assert!(!q.is_fenced());
    assert!(!q.end_tick(None));
    assert_eq!(q.flush(&mut out).unwrap(), (Flushed::Drained, 6));
    assert_eq!(out, b"free\none\ntwo\nthree\n");
}

#[test]
fn a_third_epoch_merges_into_the_second_and_only_holds_longer() {
    let mut q = OutQueue::default();
    let mut out = Vec::new();
    for (epoch, line) in [(1, "a\n"), (2, "b\n"), (3, "c\n"), (3, "d\n")] {
        q.push(Rc::new(line.as_bytes().to_vec()));
        q.end_tick(Some(epoch));
    }
    // A tick that queued nothing changes nothing.
    assert!(!q.end_tick(Some(4)));
    assert!(q.release(1));
    q.end_tick(None);
    q.flush(&mut out).unwrap();
    assert_eq!(out, b"a\n");
    assert!(!q.release(2), "epoch 2's line now waits for epoch 3");
    assert!(q.release(3));
    q.end_tick(None);
    assert_eq!(q.flush(&mut out).unwrap(), (Flushed::Drained, 6));
    assert_eq!(out, b"a\nb\nc\nd\n");
}

#[test]
fn a_fence_can_cut_a_queued_range() {
    let mut q = OutQueue::default();
    let shared: Chunk = Rc::new(b"0123456789".to_vec());
    q.push(shared.clone());
    q.end_tick(None);
    let mut w = Trickle { got: Vec::new(), budget: 3, room: 100 };
    assert_eq!(q.flush(&mut w).unwrap(), (Flushed::Blocked, 3));
    q.push(shared);
    q.end_tick(Some(7));
    w.budget = 100;
    assert_eq!(q.flush(&mut w).unwrap(), (Flushed::Held, 7));
    assert_eq!(w.got, b"0123456789");
    assert!(q.release(7));
    q.end_tick(None);
    assert_eq!(q.flush(&mut w).unwrap(), (Flushed::Drained, 10));
    assert_eq!(w.got, b"01234567890123456789");
}

#[test]
fn touching_ranges_of_a_tick_buffer_merge_and_resolve_when_frozen() {
    let mut q = OutQueue::default();
    q.push(Rc::new(b"first\n".to_vec()));
    q.push_pending(1, 0, 3);
    q.push_pending(1, 3, 7);
    q.push_pending(0, 0, 2);
    q.push(Rc::new(b"!".to_vec()));
    q.push_pending(1, 9, 10);
    assert_eq!(q.entries.len() + usize::from(q.tail.is_some()), 5, "two touching ranges became one");
    let mut w = Trickle { got: Vec::new(), budget: 100, room: 100 };
    // Nothing pending is written before its buffer is frozen.
    assert_eq!(q.flush(&mut w).unwrap(), (Flushed::Drained, 6));
    assert_eq!(q.queued(), 11);
    q.resolve(&[Some(Rc::new(b"ab".to_vec())), Some(Rc::new(b"0123456789".to_vec()))]);
    assert_eq!(q.flush(&mut w).unwrap(), (Flushed::Drained, 11));
    assert_eq!(w.got, b"first\n0123456ab!9");
}

#[test]
fn a_small_range_of_a_big_buffer_is_copied_not_pinned() {
    let big: Chunk = Rc::new((0..200u8).collect());
    let mut q = OutQueue::default();
    q.push_pending(0, 10, 20);
    q.resolve(&[Some(big.clone())]);
    assert_eq!(Rc::strong_count(&big), 1, "the big buffer is not kept alive");
    let mut whole = OutQueue::default();
    whole.push_pending(0, 0, 150);
    whole.resolve(&[Some(big.clone())]);
    assert_eq!(Rc::strong_count(&big), 2, "most of a buffer is shared, not copied");
    let mut w = Trickle { got: Vec::new(), budget: 1000, room: 1000 };
    q.flush(&mut w).unwrap();
    assert_eq!(w.got, (10..20u8).collect::<Vec<u8>>());
}

#[test]
fn irc_over_websocket_places_one_frame_per_line() {
    let msg = Message::new(b":a PRIVMSG #r :one\r\n:a PRIVMSG #r :two\r\n".to_vec(), 2);
    let mut buf = Vec::new();
    let lines = Transport::WebSocket(WsFrames::Lines { binary: false });
    let (start, end) = msg.place(lines, 7, &mut buf);
    let mut want = super::super::ws::frame(super::super::ws::OP_TEXT, b":a PRIVMSG #r :one");
    want.extend(super::super::ws::frame(super::super::ws::OP_TEXT, b":a PRIVMSG #r :two"));
    assert_eq!(&buf[start as usize..end as usize], &want[..]);
    // Each framing is placed once, apart from the others.
    assert_eq!(msg.placed(lines, 7), Some((start, end)));
    assert_eq!(msg.placed(Transport::WebSocket(WsFrames::Messages), 7), None);
    let binary = Transport::WebSocket(WsFrames::Lines { binary: true });
    let (b_start, _) = msg.place(binary, 7, &mut buf);
    assert_eq!(buf[b_start as usize], 0x80 | super::super::ws::OP_BINARY);
    assert_ne!(msg.slot(lines), msg.slot(binary));
}
