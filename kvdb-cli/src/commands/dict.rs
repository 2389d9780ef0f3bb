//! `kvdb dict ...`: data dictionaries.

use std::path::Path;

use kvdb_dict::{
    DeleteMode, Dict, Document, Entry, EntryId, ImportMode, Translation, TranslationId,
};

use crate::cli::DictCommand;
use crate::commands::Context;
use crate::output::{progress_bar, Spinner};
use crate::CliError;

pub(crate) async fn run(ctx: &Context, name: &str, command: DictCommand) -> Result<(), CliError> {
    let dict = Dict::new(ctx.store().await?, name);
    match command {
        DictCommand::Import { file, merge } => import(ctx, &dict, &file, merge).await,
        DictCommand::Export { file } => export(ctx, &dict, file.as_deref()).await,
        DictCommand::Translate {
            system1,
            key1,
            value1,
            system2,
            key2,
        } => {
            let answer = dict
                .translate(&system1, &key1, &value1, &system2, &key2)
                .await?;
            let Some(answer) = answer else {
                if ctx.out.json {
                    ctx.out.json(&serde_json::Value::Null)?;
                }
                return Err(CliError::NoResult(format!(
                    "no translation of {system1}/{key1}/{value1:?} into {system2}/{key2}"
                )));
            };
            if ctx.out.json {
                ctx.out.json(&serde_json::json!({
                    "value": answer.value(),
                    "translation": answer.translation,
                    "source": answer.source,
                    "target": answer.target,
                }))
            } else {
                println!("{}", answer.value());
                Ok(())
            }
        }
        DictCommand::AddEntry { system, key, value } => {
            let id = dict.create_entry(&system, &key, &value).await?;
            if ctx.out.json {
                ctx.out.json(&serde_json::json!({ "id": id }))
            } else {
                println!("{id}");
                Ok(())
            }
        }
        DictCommand::Entries { system, key } => {
            let entries = match (system, key) {
                (Some(system), Some(key)) => dict.values(&system, &key).await?,
                (Some(system), None) => {
                    let mut all = Vec::new();
                    for key in dict.keys(&system).await? {
                        all.extend(dict.values(&system, &key).await?);
                    }
                    all
                }
                _ => dict.entries().await?,
            };
            print_entries(ctx, &entries)
        }
        DictCommand::RemoveEntry { id, cascade } => {
            let mode = if cascade {
                DeleteMode::Cascade
            } else {
                DeleteMode::Refuse
            };
            let removed = dict.delete_entry(EntryId(id), mode).await?;
            if ctx.out.json {
                ctx.out
                    .json(&serde_json::json!({ "removed_translations": removed }))
            } else {
                println!("entry {id} removed, with {} translation(s)", removed.len());
                Ok(())
            }
        }
        DictCommand::AddTranslation {
            system1,
            key1,
            value1,
            system2,
            key2,
            value2,
        } => {
            let id = dict
                .create_translation(
                    (system1.as_str(), key1.as_str(), value1.as_str()),
                    (system2.as_str(), key2.as_str(), value2.as_str()),
                )
                .await?;
            if ctx.out.json {
                ctx.out.json(&serde_json::json!({ "id": id }))
            } else {
                println!("{id}");
                Ok(())
            }
        }
        DictCommand::Translations => {
            let translations = dict.translations().await?;
            print_translations(ctx, &translations)
        }
        DictCommand::RemoveTranslation { id } => {
            dict.delete_translation(TranslationId(id)).await?;
            if ctx.out.json {
                ctx.out.json(&serde_json::json!({ "removed": id }))
            } else {
                println!("translation {id} removed");
                Ok(())
            }
        }
        DictCommand::Systems => {
            let systems = dict.systems().await?;
            if ctx.out.json {
                ctx.out.json(&systems)
            } else {
                for system in systems {
                    println!("{system}");
                }
                Ok(())
            }
        }
        DictCommand::Check => {
            let problems = dict.verify().await?;
            if ctx.out.json {
                ctx.out.json(
                    &serde_json::json!({ "ok": problems.is_empty(), "problems": problems }),
                )?;
            } else {
                for problem in &problems {
                    println!("{problem}");
                }
            }
            if problems.is_empty() {
                if !ctx.out.json {
                    println!("dictionary {} is consistent", dict.name());
                }
                Ok(())
            } else {
                Err(CliError::NoResult(format!(
                    "{} problem(s) found",
                    problems.len()
                )))
            }
        }
    }
}

async fn import(ctx: &Context, dict: &Dict, file: &Path, merge: bool) -> Result<(), CliError> {
    let bytes = std::fs::read(file)
        .map_err(|e| CliError::Input(format!("cannot read {}: {e}", file.display())))?;
    let document =
        Document::parse(&bytes).map_err(|e| CliError::Input(format!("{}: {e}", file.display())))?;
    let mode = if merge {
        ImportMode::Merge
    } else {
        ImportMode::Replace
    };
    let total = (document.entries().len() + document.translations().len()) as u64;
    let bar = progress_bar(&ctx.out, total, "importing");
    let summary = dict
        .import_with_progress(&document, mode, |progress| {
            if let Some(bar) = &bar {
                bar.set_position(progress.done as u64);
            }
        })
        .await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let summary = summary?;
    if ctx.out.json {
        return ctx.out.json(&serde_json::json!({
            "mode": if merge { "merge" } else { "replace" },
            "format": format!("{:?}", document.format()).to_lowercase(),
            "entries": summary.entries,
            "translations": summary.translations,
            "entries_added": summary.entries_added,
            "translations_added": summary.translations_added,
            "translations_changed": summary.translations_changed,
        }));
    }
    println!(
        "imported {} entries and {} translations from {} ({:?} format, {})",
        summary.entries,
        summary.translations,
        file.display(),
        document.format(),
        if merge {
            "merged"
        } else {
            "replaced everything"
        }
    );
    Ok(())
}

async fn export(ctx: &Context, dict: &Dict, file: Option<&Path>) -> Result<(), CliError> {
    let spinner = Spinner::start(&ctx.out, "exporting");
    let document = dict.export().await;
    spinner.finish();
    let document = document?;
    let json = document.to_json();
    match file {
        Some(path) => {
            std::fs::write(path, &json)
                .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", path.display())))?;
            if ctx.out.json {
                ctx.out.json(&serde_json::json!({
                    "file": path.display().to_string(),
                    "entries": document.entries().len(),
                    "translations": document.translations().len(),
                }))
            } else {
                println!(
                    "exported {} entries and {} translations to {}",
                    document.entries().len(),
                    document.translations().len(),
                    path.display()
                );
                Ok(())
            }
        }
        None => {
            println!("{}", String::from_utf8_lossy(&json));
            Ok(())
        }
    }
}

fn print_entries(ctx: &Context, entries: &[Entry]) -> Result<(), CliError> {
    if ctx.out.json {
        return ctx.out.json(&entries);
    }
    let rows: Vec<[String; 4]> = entries
        .iter()
        .map(|e| {
            [
                e.id.to_string(),
                e.system.clone(),
                e.key.clone(),
                e.value.clone(),
            ]
        })
        .collect();
    ctx.out.table(["id", "system", "key", "value"], &rows);
    Ok(())
}

fn print_translations(ctx: &Context, translations: &[Translation]) -> Result<(), CliError> {
    if ctx.out.json {
        let rows: Vec<serde_json::Value> = translations
            .iter()
            .map(|t| serde_json::json!({ "id": t.id, "source": t.source, "target": t.target }))
            .collect();
        return ctx.out.json(&rows);
    }
    let rows: Vec<[String; 7]> = translations
        .iter()
        .map(|t| {
            [
                t.id.to_string(),
                t.source.system.clone(),
                t.source.key.clone(),
                t.source.value.clone(),
                t.target.system.clone(),
                t.target.key.clone(),
                t.target.value.clone(),
            ]
        })
        .collect();
    ctx.out.table(
        [
            "id", "system1", "key1", "value1", "system2", "key2", "value2",
        ],
        &rows,
    );
    Ok(())
}
