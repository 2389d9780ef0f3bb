//! `kvdb demo`, end to end: every step works, and nothing is left behind.

mod support;

use kvdb_test::RedisServer;
use support::kvdb;

#[test]
fn demo_runs_every_step_and_cleans_up() {
    let server = RedisServer::start();
    let run = kvdb(&server, "t", &["demo"]);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(!run.stdout.contains("FAIL"), "{}", run.stdout);
    assert!(run.stdout.contains("key:[my-value]"), "{}", run.stdout);
    assert!(
        run.stdout.contains("did you mean mylib.check_if_exists"),
        "{}",
        run.stdout
    );
    assert_eq!(
        server.raw_command(&["DBSIZE"]),
        ":0",
        "the demo left keys behind"
    );
}

#[test]
fn demo_with_json_reports_every_step() {
    let server = RedisServer::start();
    let run = kvdb(&server, "t", &["--json", "demo"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["ok"], true);
    let steps = json["steps"].as_array().expect("steps");
    assert!(steps.len() >= 9, "{json}");
    assert!(steps.iter().all(|step| step["ok"] == true), "{json}");
    assert_eq!(server.raw_command(&["DBSIZE"]), ":0");
}
