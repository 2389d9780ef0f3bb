//! `kvdb stats top | service | slow | summary | rollup`.

use std::time::{Duration, SystemTime};

use kvdb_stats::{Period, Ranking, ServiceStats, SortBy, Stats, StatsOptions};

use crate::cli::StatsCommand;
use crate::commands::Context;
use crate::output::{format_ns, Spinner};
use crate::CliError;

pub(crate) async fn run(ctx: &Context, command: StatsCommand) -> Result<(), CliError> {
    let stats = Stats::new(ctx.store().await?, StatsOptions::default())?;
    match command {
        StatsCommand::Top { by, n, since } => {
            let by: SortBy = by.parse()?;
            let ranking = stats.top(stats.last(parse_since(&since)?), by, n).await?;
            print_ranking(ctx, &ranking)
        }
        StatsCommand::Service { name, since } => {
            let report = stats
                .service(&name, stats.last(parse_since(&since)?))
                .await?;
            if ctx.out.json {
                return ctx.out.json(&report);
            }
            print_services(ctx, std::slice::from_ref(&report.stats));
            if !report.trend.is_empty() {
                println!();
                let rows: Vec<[String; 3]> = report
                    .trend
                    .iter()
                    .filter(|point| point.usage > 0)
                    .map(|point| {
                        [
                            humantime::format_rfc3339_seconds(
                                SystemTime::UNIX_EPOCH + Duration::from_secs(point.minute_start),
                            )
                            .to_string(),
                            point.usage.to_string(),
                            format_ns(point.mean_ns),
                        ]
                    })
                    .collect();
                ctx.out.table(["minute", "usage", "mean"], &rows);
            }
            Ok(())
        }
        StatsCommand::Slow { name } => {
            let calls = stats.slow_calls(&name).await?;
            if ctx.out.json {
                return ctx.out.json(&calls);
            }
            if calls.is_empty() {
                println!("no slow calls of {name}");
                return Ok(());
            }
            let rows: Vec<[String; 5]> = calls
                .iter()
                .map(|call| {
                    [
                        humantime::format_rfc3339_millis(
                            SystemTime::UNIX_EPOCH + Duration::from_millis(call.request_at_ms),
                        )
                        .to_string(),
                        call.id.clone().unwrap_or_default(),
                        format_ns(call.duration_ns),
                        format_ns(call.threshold_ns),
                        call.request.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            ctx.out
                .table(["at", "id", "duration", "threshold", "request"], &rows);
            Ok(())
        }
        StatsCommand::Summary { period } => {
            let period: Period = period.parse()?;
            let ranking = stats.summary(period, SystemTime::now()).await?;
            print_ranking(ctx, &ranking)
        }
        StatsCommand::Rollup => {
            let spinner = Spinner::start(&ctx.out, "rolling up statistics");
            let report = stats.rollup().await;
            spinner.finish();
            let report = report?;
            if ctx.out.json {
                return ctx.out.json(&report);
            }
            if report.skipped {
                println!("another process is rolling up now; nothing done");
            } else {
                println!(
                    "rolled up {} hour(s), {} day(s), {} month(s)",
                    report.hours, report.days, report.months
                );
            }
            Ok(())
        }
    }
}

fn parse_since(text: &str) -> Result<Duration, CliError> {
    humantime::parse_duration(text)
        .map_err(|e| CliError::Input(format!("--since {text:?}: {e} (examples: 15m, 1h, 2d, 1w)")))
}

fn print_ranking(ctx: &Context, ranking: &Ranking) -> Result<(), CliError> {
    if ctx.out.json {
        return ctx.out.json(ranking);
    }
    if ranking.services.is_empty() {
        println!("no calls recorded in this period");
        return Ok(());
    }
    print_services(ctx, &ranking.services);
    Ok(())
}

fn print_services(ctx: &Context, services: &[ServiceStats]) {
    let rows: Vec<[String; 10]> = services
        .iter()
        .map(|s| {
            [
                s.service.clone(),
                s.usage.to_string(),
                format_ns(s.mean_ns),
                format_ns(s.min_ns),
                format_ns(s.max_ns),
                format_ns(s.p50_ns),
                format_ns(s.p99_ns),
                format_ns(s.total_time_ns),
                format!("{:.1}%", s.usage_share_percent),
                format!("{:.1}%", s.time_share_percent),
            ]
        })
        .collect();
    ctx.out.table(
        [
            "service", "usage", "mean", "min", "max", "p50", "p99", "time", "usage%", "time%",
        ],
        &rows,
    );
}
