//! Reads criterion's results and prints one table: group, case, kvdb throughput, raw
//! throughput, ratio, and the other peers measured in the same run.
//!
//! ```sh
//! cargo bench -p benches
//! cargo run -p benches --bin bench-report            # reads target/criterion
//! cargo run -p benches --bin bench-report -- --limit  # also runs redis-benchmark
//! cargo run -p benches --bin bench-report -- --dir other/criterion --markdown
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

#[derive(Deserialize)]
struct BenchmarkJson {
    group_id: String,
    function_id: Option<String>,
    value_str: Option<String>,
    throughput: Option<ThroughputJson>,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct ThroughputJson {
    Elements: Option<u64>,
}

#[derive(Deserialize)]
struct EstimatesJson {
    median: Estimate,
}

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
}

/// (group, case) -> side -> elements per second.
type Table = BTreeMap<(String, String), BTreeMap<String, f64>>;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args
        .iter()
        .position(|a| a == "--dir")
        .and_then(|at| args.get(at + 1))
        .map(PathBuf::from)
        .unwrap_or_else(default_dir);
    let markdown = args.iter().any(|a| a == "--markdown");
    let limit = args.iter().any(|a| a == "--limit");

    let mut table = Table::new();
    collect(&dir, &mut table);
    if table.is_empty() {
        eprintln!(
            "no criterion results under {}: run `cargo bench -p benches` first",
            dir.display()
        );
        std::process::exit(1);
    }
    print_table(&table, markdown);
    if limit {
        print_physical_limit();
    }
}

fn default_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| {
        // The binary runs from the workspace root under `cargo run`; fall back to the
        // manifest's parent otherwise.
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        here.parent()
            .unwrap_or(here)
            .join("target")
            .display()
            .to_string()
    });
    Path::new(&target).join("criterion")
}

fn collect(dir: &Path, table: &mut Table) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") {
            if let Some((key, side, rate)) = read_result(&path) {
                table.entry(key).or_default().insert(side, rate);
            }
        } else {
            collect(&path, table);
        }
    }
}

fn read_result(dir: &Path) -> Option<((String, String), String, f64)> {
    let bench: BenchmarkJson =
        serde_json::from_str(&std::fs::read_to_string(dir.join("benchmark.json")).ok()?).ok()?;
    let estimates: EstimatesJson =
        serde_json::from_str(&std::fs::read_to_string(dir.join("estimates.json")).ok()?).ok()?;
    let elements = bench.throughput?.Elements? as f64;
    let seconds = estimates.median.point_estimate / 1e9;
    let side = bench.function_id?;
    let case = bench.value_str.unwrap_or_default();
    Some(((bench.group_id, case), side, elements / seconds))
}

fn print_table(table: &Table, markdown: bool) {
    let mut rows = vec![[
        "group".to_owned(),
        "case".to_owned(),
        "kvdb /s".to_owned(),
        "raw /s".to_owned(),
        "kvdb/raw".to_owned(),
        "others (/s, ratio to raw)".to_owned(),
    ]];
    for ((group, case), sides) in table {
        let kvdb = sides.get("kvdb").copied();
        let raw = sides.get("raw").copied();
        let ratio = match (kvdb, raw) {
            (Some(k), Some(r)) if r > 0.0 => format!("{:.2}x", k / r),
            _ => String::from("-"),
        };
        let others: Vec<String> = sides
            .iter()
            .filter(|(side, _)| *side != "kvdb" && *side != "raw")
            .map(|(side, rate)| match raw {
                Some(r) if r > 0.0 => format!("{side} {} ({:.2}x)", human(*rate), rate / r),
                _ => format!("{side} {}", human(*rate)),
            })
            .collect();
        rows.push([
            group.clone(),
            case.clone(),
            kvdb.map(human).unwrap_or_else(|| "-".into()),
            raw.map(human).unwrap_or_else(|| "-".into()),
            ratio,
            others.join(", "),
        ]);
    }
    let widths: Vec<usize> = (0..6)
        .map(|col| rows.iter().map(|row| row[col].len()).max().unwrap_or(0))
        .collect();
    for (index, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        if markdown {
            println!("| {} |", cells.join(" | "));
            if index == 0 {
                let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
                println!("| {} |", rule.join(" | "));
            }
        } else {
            println!("{}", cells.join("  ").trim_end());
        }
    }
}

fn human(rate: f64) -> String {
    if rate >= 1e6 {
        format!("{:.2}M", rate / 1e6)
    } else if rate >= 1e3 {
        format!("{:.1}k", rate / 1e3)
    } else {
        format!("{rate:.0}")
    }
}

/// redis-benchmark on a private server at the pipeline depths the benchmarks use.
fn print_physical_limit() {
    if Command::new("redis-benchmark")
        .arg("--version")
        .output()
        .is_err()
    {
        println!("\n(redis-benchmark not installed: no physical limit measured)");
        return;
    }
    let server = kvdb_test::RedisServer::start();
    println!("\nPhysical limit: redis-benchmark on this machine, private server, SET, 1 connection / 50 connections:");
    for (clients, pipeline) in [(1, 1), (1, 10), (1, 100), (1, 1000), (50, 1)] {
        let output = Command::new("redis-benchmark")
            .args(["-p", &server.port().to_string(), "-q", "-t", "set", "-n"])
            .arg(if pipeline >= 100 { "1000000" } else { "100000" })
            .args(["-c", &clients.to_string(), "-P", &pipeline.to_string()])
            .output();
        match output {
            Ok(out) => {
                let text = String::from_utf8_lossy(&out.stdout);
                let line = text
                    .rsplit('\r')
                    .find(|part| part.contains("requests per second"))
                    .unwrap_or("")
                    .trim();
                println!("  {clients} connection(s), pipeline {pipeline}: {line}");
            }
            Err(e) => println!("  redis-benchmark failed: {e}"),
        }
    }
}
