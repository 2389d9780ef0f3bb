//! Building a new set of live programs from the sources, given the previous set.
//!
//! A load (and every reload) goes through the same steps:
//! 1. read the directories (on the blocking pool) and take the internal programs;
//! 2. give each name to its first claimant: internal programs, then directories in order;
//!    later claimants are duplicates, except a file replacing an internal program when that
//!    is allowed;
//! 3. check each source (readable, UTF-8, not empty, header) and compile the new or changed
//!    ones on the server with `SCRIPT LOAD`, all in one pipeline, so syntax errors surface now
//!    with their line;
//! 4. a program whose new version fails keeps its previous version, if it had one from the
//!    same file; programs of a directory that cannot be listed stay as they were.
//!
//! A store error during step 3 fails the whole load and changes nothing.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use kvdb_core::redis::{self, Value};
use kvdb_core::{KvStore, Script};

use crate::scan::{self, Content};
use crate::{header, server_message};
use crate::{Error, LoadFailure, LoadReport, LuaOptions, Origin, Problem, Program, Result};

/// The live programs, by name. Replaced as a whole by a reload, never changed in place.
#[derive(Debug, Default)]
pub(crate) struct Programs {
    by_name: BTreeMap<String, Arc<Program>>,
}

impl Programs {
    pub(crate) fn get(&self, name: &str) -> Option<&Arc<Program>> {
        self.by_name.get(name)
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Arc<Program>> {
        self.by_name.values()
    }

    pub(crate) fn len(&self) -> usize {
        self.by_name.len()
    }
}

/// A source that claims a program name.
struct Candidate {
    name: String,
    origin: Origin,
    content: Content,
}

/// What became of one claimant.
enum Outcome {
    /// Live: reused unchanged from the previous set, or compiled.
    Live(Arc<Program>),
    /// To be compiled with SCRIPT LOAD.
    Compile(Program),
    /// Failed to load.
    Failed(LoadFailure),
}

/// Loads every program, returning the new set and the report. Nothing is swapped in here.
pub(crate) async fn load(
    store: &dyn KvStore,
    options: &LuaOptions,
    previous: &Programs,
) -> Result<(Programs, LoadReport)> {
    let dirs = options.dirs.clone();
    let scan = tokio::task::spawn_blocking(move || scan::scan(&dirs))
        .await
        .map_err(|err| Error::Interrupted(err.to_string()))?;
    let mut report = LoadReport {
        skipped: scan.skipped,
        ..LoadReport::default()
    };

    let internal = options.internal.iter().map(|program| Candidate {
        name: program.name.to_owned(),
        origin: Origin::Internal { file: program.file },
        content: Ok(program.source.to_owned()),
    });
    let files = scan.files.into_iter().map(|file| Candidate {
        name: file.name,
        origin: Origin::File(file.path),
        content: file.content,
    });
    let mut outcomes = claim_names(internal.chain(files), options, previous, &mut report);
    compile(store, &mut outcomes).await?;

    let mut programs = Programs::default();
    let mut failed = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Live(program) => {
                report.loaded.push(Arc::clone(&program));
                programs.by_name.insert(program.name().to_owned(), program);
            }
            Outcome::Failed(mut failure) => {
                let duplicate = matches!(failure.problem, Problem::Duplicate { .. });
                let kept = failure.name.as_deref().and_then(|name| previous.get(name));
                if let Some(kept) =
                    kept.filter(|kept| !duplicate && kept.origin() == &failure.origin)
                {
                    failure.kept_previous = true;
                    programs
                        .by_name
                        .insert(kept.name().to_owned(), Arc::clone(kept));
                }
                failed.push(failure);
            }
            // `compile` turned every one of these into Live or Failed.
            Outcome::Compile(_) => {}
        }
    }
    let mut dir_failures = scan.failed;
    keep_programs_of_unlisted_dirs(previous, &mut programs, &mut dir_failures);
    dir_failures.extend(failed);
    report.failed = dir_failures;
    diff(previous, &programs, &mut report);

    if options.strict && !report.failed.is_empty() {
        return Err(Error::StrictLoad {
            failures: report.failed,
        });
    }
    Ok((programs, report))
}

/// Steps 2 and the local part of 3: who gets each name, and what becomes of each source.
fn claim_names(
    candidates: impl Iterator<Item = Candidate>,
    options: &LuaOptions,
    previous: &Programs,
    report: &mut LoadReport,
) -> Vec<Outcome> {
    let mut claims: Vec<Result<Candidate, LoadFailure>> = Vec::new();
    let mut owner: HashMap<String, usize> = HashMap::new();
    for candidate in candidates {
        let Some(&index) = owner.get(&candidate.name) else {
            owner.insert(candidate.name.clone(), claims.len());
            claims.push(Ok(candidate));
            continue;
        };
        let Ok(holder) = &claims[index] else {
            continue;
        };
        if holder.origin.is_internal()
            && !candidate.origin.is_internal()
            && options.allow_override_internal
        {
            report.overridden.push(candidate.name.clone());
            claims[index] = Ok(candidate);
        } else {
            claims.push(Err(LoadFailure {
                problem: Problem::Duplicate {
                    name: candidate.name.clone(),
                    other: holder.origin.clone(),
                },
                origin: candidate.origin,
                name: Some(candidate.name),
                line: None,
                kept_previous: false,
            }));
        }
    }
    claims
        .into_iter()
        .map(|claim| match claim {
            Ok(candidate) => prepare(candidate, previous),
            Err(failure) => Outcome::Failed(failure),
        })
        .collect()
}

/// Checks one source: unchanged programs are reused, new or changed ones are to be compiled.
fn prepare(candidate: Candidate, previous: &Programs) -> Outcome {
    let fail = |problem, line| {
        Outcome::Failed(LoadFailure {
            origin: candidate.origin.clone(),
            name: Some(candidate.name.clone()),
            line,
            problem,
            kept_previous: false,
        })
    };
    let source = match &candidate.content {
        Ok(source) => source,
        Err((problem, line)) => return fail(problem.clone(), *line),
    };
    let header = match header::parse(source) {
        Ok(header) => header,
        Err(err) => {
            return fail(
                Problem::Header {
                    message: err.message,
                },
                Some(err.line),
            )
        }
    };
    let script = Script::new(source);
    if let Some(old) = previous.get(&candidate.name) {
        let unchanged = old.origin() == &candidate.origin
            && old.sha1() == script.sha1()
            && old.keys() == header.keys
            && old.read_only() == header.read_only;
        if unchanged {
            return Outcome::Live(Arc::clone(old));
        }
    }
    Outcome::Compile(Program::new(
        candidate.name,
        candidate.origin,
        script,
        header.keys,
        header.read_only,
    ))
}

/// Step 3 on the server: one pipeline of SCRIPT LOADs for every program to compile.
async fn compile(store: &dyn KvStore, outcomes: &mut [Outcome]) -> Result<()> {
    let mut pipe = redis::pipe();
    for outcome in outcomes.iter() {
        if let Outcome::Compile(program) = outcome {
            pipe.add_command(program.script().load_cmd());
        }
    }
    if pipe.is_empty() {
        return Ok(());
    }
    let mut replies = store.req_pipeline(&pipe).await?.into_iter();
    for outcome in outcomes.iter_mut() {
        let Outcome::Compile(program) = outcome else {
            continue;
        };
        let reply = replies.next().unwrap_or(Value::Nil);
        *outcome = match compile_result(program, reply) {
            Ok(()) => Outcome::Live(Arc::new(program.clone())),
            Err((message, line)) => Outcome::Failed(LoadFailure {
                origin: program.origin().clone(),
                name: Some(program.name().to_owned()),
                line,
                problem: Problem::Compile { message },
                kept_previous: false,
            }),
        };
    }
    Ok(())
}

/// The server's answer to one SCRIPT LOAD: the SHA1 we expect, or the compiler's message.
fn compile_result(program: &Program, reply: Value) -> Result<(), (String, Option<u32>)> {
    if let Value::ServerError(err) = &reply {
        let details = err.details().unwrap_or_default();
        let line = server_message::line(details);
        let text = server_message::compile_error_text(details);
        let message = match err.code() {
            "ERR" => text.to_owned(),
            code => format!("{code} {text}"),
        };
        return Err((message, line));
    }
    match redis::from_redis_value::<String>(reply) {
        Ok(sha1) if sha1 == program.sha1() => Ok(()),
        Ok(sha1) => Err((
            format!("server returned SHA1 {sha1}, expected {}", program.sha1()),
            None,
        )),
        Err(err) => Err((format!("unexpected reply to SCRIPT LOAD: {err}"), None)),
    }
}

/// A directory that cannot be listed (unmounted, permissions changed) does not take its
/// programs away: those of the previous set stay live, unless their name was taken since.
fn keep_programs_of_unlisted_dirs(
    previous: &Programs,
    programs: &mut Programs,
    dir_failures: &mut [LoadFailure],
) {
    for failure in dir_failures.iter_mut() {
        let Origin::File(dir) = &failure.origin else {
            continue;
        };
        if !matches!(failure.problem, Problem::DirUnreadable { .. }) {
            continue;
        }
        for program in previous.iter() {
            let in_dir = program.origin().path().and_then(Path::parent) == Some(dir.as_path());
            if in_dir && !programs.by_name.contains_key(program.name()) {
                programs
                    .by_name
                    .insert(program.name().to_owned(), Arc::clone(program));
                failure.kept_previous = true;
            }
        }
    }
}

/// Fills the report's added / updated / removed lists.
fn diff(previous: &Programs, programs: &Programs, report: &mut LoadReport) {
    for (name, program) in &programs.by_name {
        match previous.get(name) {
            None => report.added.push(name.clone()),
            Some(old) if !Arc::ptr_eq(old, program) => report.updated.push(name.clone()),
            Some(_) => {}
        }
    }
    for name in previous.names() {
        if !programs.by_name.contains_key(name) {
            report.removed.push(name.to_owned());
        }
    }
}
