//! Output: aligned tables for people, JSON on stdout with `--json`.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use serde::Serialize;

use crate::CliError;

/// Where a command's results go, and in which form.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Output {
    /// Machine-readable JSON on stdout instead of tables.
    pub(crate) json: bool,
}

impl Output {
    /// Prints a serialisable value as one JSON document.
    pub(crate) fn json<T: Serialize>(&self, value: &T) -> Result<(), CliError> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| CliError::Failed(format!("cannot render JSON: {e}")))?;
        println!("{text}");
        Ok(())
    }

    /// Prints rows as an aligned table under a header line. A column whose cells are all
    /// numbers is right-aligned.
    pub(crate) fn table<const N: usize>(&self, header: [&str; N], rows: &[[String; N]]) {
        let mut widths = header.map(str::len);
        let mut numeric = [true; N];
        for row in rows {
            for (col, cell) in row.iter().enumerate() {
                widths[col] = widths[col].max(cell.chars().count());
                numeric[col] &= cell.is_empty() || is_number(cell);
            }
        }
        let render = |cells: Vec<String>| -> String {
            let padded: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(col, cell)| {
                    let fill = " ".repeat(widths[col].saturating_sub(cell.chars().count()));
                    if numeric[col] {
                        format!("{fill}{cell}")
                    } else {
                        format!("{cell}{fill}")
                    }
                })
                .collect();
            padded.join("  ").trim_end().to_owned()
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "{}",
            render(header.iter().map(|h| h.to_string()).collect())
        );
        for row in rows {
            let _ = writeln!(out, "{}", render(row.to_vec()));
        }
    }
}

/// A spinner on stderr while a long operation runs, drawn only when stdout is a terminal
/// and the output is not JSON.
pub(crate) struct Spinner {
    bar: Option<indicatif::ProgressBar>,
}

impl Spinner {
    pub(crate) fn start(out: &Output, message: &str) -> Spinner {
        let bar = (!out.json && std::io::stdout().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_message(message.to_owned());
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        Spinner { bar }
    }

    pub(crate) fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A progress bar over `total` items, drawn only when stdout is a terminal and the output
/// is not JSON.
pub(crate) fn progress_bar(
    out: &Output,
    total: u64,
    message: &str,
) -> Option<indicatif::ProgressBar> {
    (!out.json && std::io::stdout().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")
        {
            bar.set_style(style);
        }
        bar.set_message(message.to_owned());
        bar
    })
}

/// Nanoseconds for people: `830us`, `12.5ms`, `3.20s`.
pub(crate) fn format_ns(ns: u64) -> String {
    match ns {
        0 => String::from("0"),
        ns if ns < 1_000 => format!("{ns}ns"),
        ns if ns < 1_000_000 => format!("{:.1}us", ns as f64 / 1e3),
        ns if ns < 1_000_000_000 => format!("{:.1}ms", ns as f64 / 1e6),
        ns => format!("{:.2}s", ns as f64 / 1e9),
    }
}

fn is_number(cell: &str) -> bool {
    cell.trim_end_matches('%').parse::<f64>().is_ok()
}

/// Renders a Redis reply as JSON: integers as numbers, strings as strings, arrays as arrays,
/// nil as null.
pub(crate) fn value_to_json(value: &redis::Value) -> serde_json::Value {
    use redis::Value;
    match value {
        Value::Nil => serde_json::Value::Null,
        Value::Int(int) => serde_json::Value::from(*int),
        Value::Double(float) => serde_json::Value::from(*float),
        Value::Boolean(flag) => serde_json::Value::from(*flag),
        Value::BulkString(bytes) => {
            serde_json::Value::from(String::from_utf8_lossy(bytes).into_owned())
        }
        Value::SimpleString(text) => serde_json::Value::from(text.clone()),
        Value::Okay => serde_json::Value::from("OK"),
        Value::Array(items) | Value::Set(items) => {
            serde_json::Value::Array(items.iter().map(value_to_json).collect())
        }
        Value::Map(pairs) => serde_json::Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (value_to_text(k), value_to_json(v)))
                .collect(),
        ),
        other => serde_json::Value::from(format!("{other:?}")),
    }
}

/// Renders a Redis reply for people, the way redis-cli does: integers bare, strings as they
/// are, nil as `(nil)`, arrays one numbered item per line.
pub(crate) fn value_to_text(value: &redis::Value) -> String {
    use redis::Value;
    match value {
        Value::Nil => String::from("(nil)"),
        Value::Int(int) => int.to_string(),
        Value::Double(float) => float.to_string(),
        Value::Boolean(flag) => flag.to_string(),
        Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Value::SimpleString(text) => text.clone(),
        Value::Okay => String::from("OK"),
        Value::Array(items) | Value::Set(items) if items.is_empty() => {
            String::from("(empty array)")
        }
        Value::Array(items) | Value::Set(items) => items
            .iter()
            .enumerate()
            .map(|(index, item)| format!("{}) {}", index + 1, value_to_text(item)))
            .collect::<Vec<_>>()
            .join("\n"),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_render_like_redis_cli() {
        let value = redis::Value::Array(vec![
            redis::Value::Int(10),
            redis::Value::BulkString(b"x".to_vec()),
            redis::Value::Nil,
        ]);
        assert_eq!(value_to_text(&value), "1) 10\n2) x\n3) (nil)");
        assert_eq!(value_to_json(&value), serde_json::json!([10, "x", null]));
    }
}
