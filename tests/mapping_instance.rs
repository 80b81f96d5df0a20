//! The instance reader: every malformed field is an error naming it.

use agentsched::Error;
use agentsched::mapping::instance::parse_etc;

fn field_of(text: &str) -> String {
    match parse_etc(text) {
        Err(Error::InvalidInstance { field, .. }) => field,
        other => panic!("expected InvalidInstance for {text}, got {other:?}"),
    }
}

#[test]
fn each_bad_field_is_named() {
    let ok = r#""format":"agentsched-bench/1","kind":"etc","name":"x""#;
    let cases = [
        ("not json", ""),
        ("[1, 2]", ""),
        (
            r#"{"kind":"etc","name":"x","machines":1,"etc":[[1]]}"#,
            "format",
        ),
        (
            r#"{"format":"v0","kind":"etc","name":"x","machines":1,"etc":[[1]]}"#,
            "format",
        ),
        (
            r#"{"format":"agentsched-bench/1","kind":"dag","name":"x"}"#,
            "kind",
        ),
        (
            r#"{"format":"agentsched-bench/1","kind":"etc","machines":1,"etc":[[1]]}"#,
            "name",
        ),
        (&format!(r#"{{{ok},"machines":0,"etc":[]}}"#), "machines"),
        (
            &format!(r#"{{{ok},"machines":99999999999,"etc":[]}}"#),
            "machines",
        ),
        (&format!(r#"{{{ok},"machines":2,"etc":{{}}}}"#), "etc"),
        (
            &format!(r#"{{{ok},"machines":2,"etc":[[1,2],[3]]}}"#),
            "etc[1]",
        ),
        (
            &format!(r#"{{{ok},"machines":2,"etc":[[1,0]]}}"#),
            "etc[0][1]",
        ),
        (
            &format!(r#"{{{ok},"machines":2,"etc":[[1,"a"]]}}"#),
            "etc[0][1]",
        ),
        (
            &format!(r#"{{{ok},"machines":2,"etc":[[1,2]],"ready":[0]}}"#),
            "ready",
        ),
        (
            &format!(r#"{{{ok},"machines":2,"etc":[[1,2]],"ready":[0,-1]}}"#),
            "ready[1]",
        ),
    ];
    for (text, field) in cases {
        assert_eq!(field_of(text), field, "{text}");
    }
}

#[test]
fn a_valid_instance_reads_back() {
    let i = parse_etc(
        r#"{"format":"agentsched-bench/1","kind":"etc","name":"tiny","machines":2,
            "etc":[[12.0,30.5],[4.0,4.5]],"ready":[0.0,5.0]}"#,
    )
    .unwrap();
    assert_eq!(i.name, "tiny");
    assert_eq!((i.etc.tasks(), i.etc.machines()), (2, 2));
    assert_eq!(i.etc.ready(), &[0.0, 5.0]);
    assert_eq!(i.etc.time(0, 1), 30.5);
}
