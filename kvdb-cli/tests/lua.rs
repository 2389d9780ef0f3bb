//! `kvdb lua list | check | run`.

mod support;

use kvdb_test::RedisServer;
use support::kvdb;

const SEED: &str = "local key = KEYS[1]
local new_key = KEYS[2]
if redis.call('exists', key) == 1 then
    redis.call('rename', key, new_key)
    return 10
else
    return 11
end
";

fn programs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("mylib.check_if_exists.lua"), SEED).expect("write");
    std::fs::write(dir.path().join("echo.lua"), "return ARGV").expect("write");
    dir
}

#[test]
fn list_shows_every_program() {
    let server = RedisServer::start();
    let dir = programs();
    let path = dir.path().to_str().unwrap();
    let run = kvdb(&server, "t", &["lua", "list", "--dir", path]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("mylib.check_if_exists"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("kvdb.rename_if_exists"),
        "{}",
        run.stdout
    );

    let json = kvdb(&server, "t", &["--json", "lua", "list", "--dir", path]).json();
    let names: Vec<&str> = json["programs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"echo") && names.contains(&"mylib.check_if_exists"));
    assert_eq!(json["programs"][0]["sha1"].as_str().unwrap().len(), 40);
}

#[test]
fn check_reports_path_and_line_and_exits_non_zero() {
    let server = RedisServer::start();
    let dir = programs();
    std::fs::write(dir.path().join("broken.lua"), "local x = 1\nreturn x +").unwrap();
    let path = dir.path().to_str().unwrap();
    let run = kvdb(&server, "t", &["lua", "check", "--dir", path]);
    assert_eq!(run.code, 1);
    let expected = format!("{}:2:", dir.path().join("broken.lua").display());
    assert!(run.stdout.contains(&expected), "{}", run.stdout);

    std::fs::remove_file(dir.path().join("broken.lua")).unwrap();
    let run = kvdb(&server, "t", &["lua", "check", "--dir", path]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn run_the_seed_program() {
    let server = RedisServer::start();
    let dir = programs();
    let path = dir.path().to_str().unwrap();
    server.raw_command(&["SET", "rename-from", "v"]);
    let args = [
        "lua",
        "run",
        "mylib.check_if_exists",
        "--dir",
        path,
        "--key",
        "rename-from",
        "--key",
        "rename-to",
    ];
    let run = kvdb(&server, "t", &args);
    assert_eq!((run.code, run.stdout.trim()), (0, "10"), "{}", run.stderr);
    let run = kvdb(&server, "t", &args);
    assert_eq!((run.code, run.stdout.trim()), (0, "11"), "{}", run.stderr);

    let json = kvdb(
        &server,
        "t",
        &[
            "--json", "lua", "run", "echo", "--dir", path, "--arg", "a", "--arg", "b",
        ],
    )
    .json();
    assert_eq!(json, serde_json::json!(["a", "b"]));
}

#[test]
fn unknown_name_suggests_the_closest() {
    let server = RedisServer::start();
    let dir = programs();
    let run = kvdb(
        &server,
        "t",
        &[
            "lua",
            "run",
            "mylib.rename_if_exists",
            "--dir",
            dir.path().to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("did you mean mylib.check_if_exists"),
        "{}",
        run.stderr
    );
}
