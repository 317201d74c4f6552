//! The note format's tests: every note round-trips, garbage is refused.
use super::*;

#[test]
fn every_note_round_trips() {
    let stamp = Stamp { node: "n1".into(), epoch: 17, seq: 42 };
    let notes = [
        Note::Hello,
        Note::Beat,
        Note::Sync,
        Note::Burst { users: vec![], topics: vec![] },
        Note::Burst {
            users: vec![
                BurstUser {
                    nick: "alice".into(),
                    claimed_ms: 5,
                    rooms: vec!["#lobby".into(), "#rust".into()],
                },
                BurstUser { nick: "bob".into(), claimed_ms: 6, rooms: vec![] },
            ],
            topics: vec![TopicState { room: "#rust".into(), topic: "".into(), by: "".into(), at: 9 }],
        },
        Note::Join { nick: "민수".into(), room: "#한국어".into() },
        Note::Leave { nick: "a".into(), room: "#r".into(), reason: None, part: false },
        Note::Leave { nick: "a".into(), room: "#r".into(), reason: None, part: true },
        Note::Leave { nick: "a".into(), room: "#r".into(), reason: Some("".into()), part: true },
        Note::Quit { nick: "a".into(), reason: "gone fishing".into() },
        Note::Say {
            nick: "a".into(),
            room: "#r".into(),
            text: "hi\tthere".into(),
            said: Said::Action,
            whole: true,
        },
        Note::Msg { from: "a".into(), to: "b".into(), text: "".into(), said: Said::Notice, whole: false },
        Note::Rename { old: "a".into(), new: "b".into() },
        Note::Topic { nick: "a".into(), room: "#r".into(), topic: "t".into(), at: 3 },
        Note::Echo { json: r#"{"x":[1,"\u001f"]}"#.into() },
        Note::Account { key: "alice".into(), account: None },
        Note::Account {
            key: "alice".into(),
            account: Some(crate::store::accounts::Account {
                name: "Alice".into(),
                hash: "$argon2id$v=19$x".into(),
                certfps: vec!["ab".into(), "cd".into()],
                created_ms: 9,
            }),
        },
        Note::RoomRules {
            key: "#rust".into(),
            json: Some(r##"{"name":"#Rust","access":[["a",1]]}"##.into()),
        },
        Note::RoomRules { key: "#rust".into(), json: None },
        Note::Kline { mask: "10.0.0.0/8".into(), json: Some(r#"{"mask":"10.0.0.0/8"}"#.into()) },
        Note::Kline { mask: "1.2.3.4".into(), json: None },
        Note::Kick { room: "#r".into(), by: "a".into(), nick: "b".into(), reason: "".into() },
        Note::Mode { room: "#r".into(), by: "a".into(), modes: "+m-t+o b".into() },
        Note::Ban {
            room: "#r".into(),
            by: "a".into(),
            mask: "b!*@*".into(),
            set: true,
            mute: false,
            until_ms: Some(9),
            reason: "spam".into(),
        },
        Note::Ban {
            room: "#r".into(),
            by: "a".into(),
            mask: "~a:b".into(),
            set: false,
            mute: true,
            until_ms: None,
            reason: "".into(),
        },
        Note::LiveRules { room: "#r".into(), json: "{}".into() },
    ];
    for note in notes {
        assert_eq!(Note::decode(&note.encode(&stamp)), Some((stamp.clone(), note)));
    }
}

#[test]
fn separators_in_text_become_spaces_and_garbage_is_refused() {
    let stamp = Stamp { node: "n".into(), epoch: 1, seq: 1 };
    let note = Note::Say {
        nick: "a".into(),
        room: "#r".into(),
        text: "x\u{1f}y".into(),
        said: Said::Plain,
        whole: false,
    };
    let Some((_, Note::Say { text, .. })) = Note::decode(&note.encode(&stamp)) else { panic!() };
    assert_eq!(text, "x y");
    for bad in [
        &b""[..],
        b"lc1",
        b"lc1\x1fn\x1e\x1f1\x1f1\x1fbeat",
        b"lc1\x1fn\x1f1\x1f1\x1fjoin\x1fa\x1d\x1f#r",
        b"lc2\x1fn\x1f1\x1f1\x1fbeat",
        b"lc1\x1fn\x1fx\x1f1\x1fbeat",
        b"\xff",
        b"lc1\x1fn\x1f1\x1f1\x1fsay\x1fa",
    ] {
        assert_eq!(Note::decode(bad), None);
    }
}
