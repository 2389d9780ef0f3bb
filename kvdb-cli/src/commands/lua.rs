//! `kvdb lua list | check | run`.

use kvdb_lua::{LuaContainer, LuaOptions, Origin};
use serde::Serialize;

use crate::cli::{LuaCommand, LuaDirs};
use crate::commands::Context;
use crate::output::{value_to_json, value_to_text};
use crate::CliError;

pub(crate) async fn run(ctx: &Context, command: LuaCommand) -> Result<(), CliError> {
    match command {
        LuaCommand::List(dirs) => list(ctx, dirs).await,
        LuaCommand::Check(dirs) => check(ctx, dirs).await,
        LuaCommand::Run {
            name,
            dirs,
            keys,
            args,
        } => run_program(ctx, &name, dirs, &keys, &args).await,
    }
}

async fn load(
    ctx: &Context,
    dirs: LuaDirs,
) -> Result<(LuaContainer, kvdb_lua::LoadReport), CliError> {
    let store = ctx.store().await?;
    let mut options = LuaOptions::default();
    for dir in dirs.dirs {
        options = options.dir(dir);
    }
    Ok(LuaContainer::load(store, options).await?)
}

#[derive(Serialize)]
struct ProgramRow {
    name: String,
    source: String,
    sha1: String,
    keys: Option<usize>,
    read_only: bool,
}

#[derive(Serialize)]
struct FailureRow {
    path: String,
    line: Option<u32>,
    message: String,
}

fn origin_text(origin: &Origin) -> String {
    origin.to_string()
}

async fn list(ctx: &Context, dirs: LuaDirs) -> Result<(), CliError> {
    let (lua, report) = load(ctx, dirs).await?;
    let programs: Vec<ProgramRow> = lua
        .list()
        .iter()
        .map(|program| ProgramRow {
            name: program.name().to_owned(),
            source: origin_text(program.origin()),
            sha1: program.sha1().to_owned(),
            keys: program.keys(),
            read_only: program.read_only(),
        })
        .collect();
    for failure in &report.failed {
        eprintln!("{failure}");
    }
    if ctx.out.json {
        return ctx.out.json(&serde_json::json!({
            "programs": programs,
            "failed": failures(&report),
        }));
    }
    let rows: Vec<[String; 5]> = programs
        .iter()
        .map(|p| {
            [
                p.name.clone(),
                p.source.clone(),
                p.sha1.clone(),
                p.keys.map_or_else(|| "any".to_owned(), |k| k.to_string()),
                if p.read_only {
                    "yes".into()
                } else {
                    "no".into()
                },
            ]
        })
        .collect();
    ctx.out
        .table(["name", "source", "sha1", "keys", "read-only"], &rows);
    Ok(())
}

fn failures(report: &kvdb_lua::LoadReport) -> Vec<FailureRow> {
    report
        .failed
        .iter()
        .map(|failure| FailureRow {
            path: origin_text(&failure.origin),
            line: failure.line,
            message: failure.problem.to_string(),
        })
        .collect()
}

async fn check(ctx: &Context, dirs: LuaDirs) -> Result<(), CliError> {
    let (lua, report) = load(ctx, dirs).await?;
    let loaded = lua.list().len();
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({
            "ok": report.failed.is_empty(),
            "loaded": loaded,
            "failed": failures(&report),
        }))?;
    } else {
        for failure in &report.failed {
            println!("{failure}");
        }
    }
    if report.failed.is_empty() {
        if !ctx.out.json {
            println!("{loaded} program(s) compiled");
        }
        Ok(())
    } else {
        Err(CliError::NoResult(format!(
            "{} program(s) failed to load, {loaded} compiled",
            report.failed.len()
        )))
    }
}

async fn run_program(
    ctx: &Context,
    name: &str,
    dirs: LuaDirs,
    keys: &[String],
    args: &[String],
) -> Result<(), CliError> {
    let (lua, report) = load(ctx, dirs).await?;
    for failure in &report.failed {
        eprintln!("warning: {failure}");
    }
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let value: redis::Value = lua.run_lua(name, &keys, &args).await?;
    if ctx.out.json {
        ctx.out.json(&value_to_json(&value))
    } else {
        println!("{}", value_to_text(&value));
        Ok(())
    }
}
