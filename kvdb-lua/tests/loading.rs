//! Loading: syntax errors with path and line, strict mode, duplicates, odd directory entries,
//! headers, listing.

mod support;

use std::path::PathBuf;

use kvdb_core::KvStoreExt;
use kvdb_lua::{Error, LuaContainer, LuaOptions, Origin, Problem, SkipReason, RENAME_IF_EXISTS};
use kvdb_test::RedisServer;
use support::{load, loaded_names, write, CHECK_IF_EXISTS};

#[tokio::test]
async fn a_syntax_error_is_reported_with_path_and_line_and_the_others_load() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.good.lua", "return 1");
    write(
        dir.path(),
        "b.broken.lua",
        "-- fine\nlocal x = = 1\nreturn x\n",
    );
    write(dir.path(), "c.good.lua", "return 3");
    let (lua, report) = load(&server, &[dir.path()]).await;

    assert_eq!(
        loaded_names(&report),
        [RENAME_IF_EXISTS, "a.good", "c.good"]
    );
    assert_eq!(report.failed.len(), 1, "{:?}", report.failed);
    let failure = &report.failed[0];
    let path = dir.path().join("b.broken.lua");
    assert_eq!(failure.origin, Origin::File(path.clone()));
    assert_eq!(failure.name.as_deref(), Some("b.broken"));
    assert_eq!(failure.line, Some(2));
    assert!(matches!(failure.problem, Problem::Compile { .. }));
    let shown = failure.to_string();
    assert!(
        shown.starts_with(&format!("{}:2: does not compile: ", path.display())),
        "{shown}"
    );
    assert!(shown.ends_with("unexpected symbol near '='"), "{shown}");
    assert!(!failure.kept_previous);

    assert!(
        lua.program("b.broken").is_err(),
        "a broken program is not callable"
    );
    let three: i64 = lua.run_lua("c.good", &[], &[]).await.unwrap();
    assert_eq!(three, 3);
}

#[tokio::test]
async fn strict_mode_fails_the_whole_load() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good.lua", "return 1");
    write(dir.path(), "broken.lua", "return (");
    let options = LuaOptions::default().dir(dir.path()).strict(true);
    let err = LuaContainer::load(support::store(&server).await, options.clone())
        .await
        .unwrap_err();
    match &err {
        Error::StrictLoad { failures } => {
            assert_eq!(failures.len(), 1);
            assert_eq!(failures[0].name.as_deref(), Some("broken"));
            assert_eq!(failures[0].line, Some(1));
        }
        other => panic!("expected StrictLoad, got {other:?}"),
    }
    assert!(err.to_string().contains("broken.lua:1:"), "{err}");

    // Once the file is fixed, strict loading succeeds.
    write(dir.path(), "broken.lua", "return 2");
    let (lua, report) = LuaContainer::load(support::store(&server).await, options)
        .await
        .unwrap();
    assert!(report.is_clean());
    assert_eq!(lua.list().len(), 3);
}

#[tokio::test]
async fn duplicates_name_both_files_and_the_first_directory_wins() {
    let server = RedisServer::start();
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    write(first.path(), "shared.lua", "return 'first'");
    write(second.path(), "shared.lua", "return 'second'");
    write(second.path(), "only.lua", "return 'only'");
    let (lua, report) = load(&server, &[first.path(), second.path()]).await;

    assert_eq!(report.failed.len(), 1, "{:?}", report.failed);
    let failure = &report.failed[0];
    let second_file = second.path().join("shared.lua");
    let first_file = first.path().join("shared.lua");
    assert_eq!(failure.origin, Origin::File(second_file.clone()));
    assert_eq!(
        failure.problem,
        Problem::Duplicate {
            name: "shared".into(),
            other: Origin::File(first_file.clone())
        }
    );
    let shown = failure.to_string();
    assert!(shown.contains(&first_file.display().to_string()), "{shown}");
    assert!(
        shown.contains(&second_file.display().to_string()),
        "{shown}"
    );

    let out: String = lua.run_lua("shared", &[], &[]).await.unwrap();
    assert_eq!(out, "first");
    let out: String = lua.run_lua("only", &[], &[]).await.unwrap();
    assert_eq!(out, "only");

    let options = LuaOptions::default()
        .dir(first.path())
        .dir(second.path())
        .strict(true);
    let err = LuaContainer::load(support::store(&server).await, options)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::StrictLoad { .. }), "{err:?}");
}

#[tokio::test]
async fn overriding_an_internal_program_needs_an_opt_in() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = format!("{RENAME_IF_EXISTS}.lua");
    write(dir.path(), &file, "-- kvdb: keys=2\nreturn 99");

    let (lua, report) = load(&server, &[dir.path()]).await;
    assert_eq!(report.failed.len(), 1);
    let shown = report.failed[0].to_string();
    assert!(
        shown.contains(&file) && shown.contains("internal:"),
        "{shown}"
    );
    assert!(shown.contains("allow_override_internal"), "{shown}");
    let out: i64 = lua
        .run_lua(RENAME_IF_EXISTS, &["a", "b"], &[])
        .await
        .unwrap();
    assert_eq!(out, 11, "the internal program stays");

    let options = LuaOptions::default()
        .dir(dir.path())
        .allow_override_internal(true);
    let (lua, report) = LuaContainer::load(support::store(&server).await, options)
        .await
        .unwrap();
    assert!(report.is_clean(), "{:?}", report.failed);
    assert_eq!(report.overridden, [RENAME_IF_EXISTS]);
    let out: i64 = lua
        .run_lua(RENAME_IF_EXISTS, &["a", "b"], &[])
        .await
        .unwrap();
    assert_eq!(out, 99, "the user's file replaced it");
    assert_eq!(
        lua.program(RENAME_IF_EXISTS).unwrap().origin(),
        &Origin::File(dir.path().join(&file))
    );
}

#[tokio::test]
async fn odd_entries_are_reported_never_a_crash() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    write(dir.path(), "mylib.check_if_exists.lua", CHECK_IF_EXISTS);
    write(dir.path(), "empty.lua", "");
    write(dir.path(), "blank.lua", "\n  \n");
    write(dir.path(), "latin1.lua", b"-- caf\xe9\nreturn 1\n");
    write(dir.path(), "README.md", "# programs");
    write(dir.path(), "old.lua.bak", "return 1");
    write(dir.path(), ".#lock.lua", "x");
    std::fs::create_dir(path("sub")).unwrap();
    write(&path("sub"), "deep.lua", "return 1");
    std::os::unix::fs::symlink(path("missing-target.lua"), path("dangling.lua")).unwrap();
    let bad_name = {
        use std::os::unix::ffi::OsStrExt;
        dir.path()
            .join(std::ffi::OsStr::from_bytes(b"bad\xffname.lua"))
    };
    std::fs::write(&bad_name, "return 1").unwrap();

    let (lua, report) = load(&server, &[dir.path()]).await;
    assert_eq!(
        loaded_names(&report),
        [RENAME_IF_EXISTS, "mylib.check_if_exists"]
    );

    let failures: Vec<(PathBuf, Option<u32>, Problem)> = report
        .failed
        .iter()
        .map(|f| {
            (
                f.origin.path().unwrap().to_owned(),
                f.line,
                f.problem.clone(),
            )
        })
        .collect();
    let expect = |p: PathBuf, line, problem| {
        assert!(failures.contains(&(p, line, problem)), "{failures:#?}")
    };
    expect(path("empty.lua"), None, Problem::Empty);
    expect(path("blank.lua"), None, Problem::Empty);
    expect(path("latin1.lua"), Some(1), Problem::NotUtf8);
    expect(bad_name, None, Problem::NameNotUtf8);
    assert!(
        report
            .failed
            .iter()
            .any(|f| f.origin == Origin::File(path("dangling.lua"))
                && matches!(f.problem, Problem::Unreadable { .. })),
        "{failures:#?}"
    );
    assert_eq!(report.failed.len(), 5, "{failures:#?}");

    let skipped: Vec<(PathBuf, SkipReason)> = report
        .skipped
        .iter()
        .map(|s| (s.path.clone(), s.reason))
        .collect();
    assert_eq!(
        skipped,
        [
            (path(".#lock.lua"), SkipReason::Hidden),
            (path("README.md"), SkipReason::NotLua),
            (path("old.lua.bak"), SkipReason::NotLua),
            (path("sub"), SkipReason::SubDirectory),
        ]
    );
    assert!(
        lua.program("deep").is_err(),
        "sub-directories are not walked"
    );
    assert!(report.skipped[3].to_string().contains("not walked"));
}

#[tokio::test]
async fn a_missing_directory_is_a_failure_not_a_crash() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let (lua, report) = load(&server, &[&missing]).await;
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].origin, Origin::File(missing));
    assert!(report.failed[0]
        .to_string()
        .contains("cannot list directory"));
    assert_eq!(lua.list().len(), 1, "the internal programs still load");
}

#[tokio::test]
async fn listing_gives_name_file_sha1_and_key_count() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "zeta.lua",
        "-- kvdb: keys=1 readonly\nreturn redis.call('GET', KEYS[1])",
    );
    write(dir.path(), "alpha.lua", "return 1");
    let (lua, _) = load(&server, &[dir.path()]).await;

    let listed: Vec<(String, String, Option<usize>, bool)> = lua
        .list()
        .iter()
        .map(|p| {
            (
                p.name().to_owned(),
                p.origin().to_string(),
                p.keys(),
                p.read_only(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (
                "alpha".into(),
                dir.path().join("alpha.lua").display().to_string(),
                None,
                false
            ),
            (
                RENAME_IF_EXISTS.into(),
                "internal:kvdb-lua/lua/rename_if_exists.lua".into(),
                Some(2),
                false
            ),
            (
                "zeta".into(),
                dir.path().join("zeta.lua").display().to_string(),
                Some(1),
                true
            ),
        ]
    );
    let alpha = lua.program("alpha").unwrap();
    let sha1: String = support::store(&server)
        .await
        .query(kvdb_core::redis::cmd("SCRIPT").arg("LOAD").arg("return 1"))
        .await
        .unwrap();
    assert_eq!(alpha.sha1(), sha1, "the SHA1 is the server's");
}

#[tokio::test]
async fn a_bad_header_is_a_failure_with_its_line() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "typo.lua",
        "-- My program.\n-- kvdb: keys=2 read-only\nreturn 1",
    );
    let (_, report) = load(&server, &[dir.path()]).await;
    assert_eq!(report.failed.len(), 1);
    let shown = report.failed[0].to_string();
    assert!(
        shown.contains("typo.lua:2: bad `-- kvdb:` header"),
        "{shown}"
    );
    assert!(shown.contains("read-only"), "{shown}");
}
