//! Which commands may not run on the shared multiplexed connection, and why.

use std::time::Duration;

use redis::{Arg, Cmd};

/// Where a command must run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// On the shared multiplexed connection.
    Shared,
    /// On a dedicated connection, because it blocks on the server for up to this long
    /// (`None`: for ever).
    Blocking(Option<Duration>),
    /// Nowhere through `req_command`: it changes the connection's state (WATCH, MULTI,
    /// SUBSCRIBE, SELECT, ...), which would leak into every other caller's commands.
    Stateful,
}

/// Decides the route of a command from its name and, for blocking commands, its timeout.
pub(crate) fn route(cmd: &Cmd) -> Route {
    let args: Vec<&[u8]> = cmd
        .args_iter()
        .filter_map(|arg| match arg {
            Arg::Simple(bytes) => Some(bytes),
            _ => None,
        })
        .collect();
    let Some(name) = args.first() else {
        return Route::Shared;
    };
    let name = name.to_ascii_uppercase();
    match name.as_slice() {
        // Timeout in seconds as the last argument.
        b"BLPOP" | b"BRPOP" | b"BRPOPLPUSH" | b"BLMOVE" | b"BZPOPMIN" | b"BZPOPMAX" => {
            Route::Blocking(seconds(args.last().copied()))
        }
        // Timeout in seconds as the first argument after the name.
        b"BLMPOP" | b"BZMPOP" => Route::Blocking(seconds(args.get(1).copied())),
        // BLOCK milliseconds, if present.
        b"XREAD" | b"XREADGROUP" => {
            match args
                .iter()
                .position(|arg| arg.eq_ignore_ascii_case(b"BLOCK"))
            {
                Some(at) => Route::Blocking(millis(args.get(at + 1).copied())),
                None => Route::Shared,
            }
        }
        b"WAIT" => Route::Blocking(millis(args.get(2).copied())),
        b"WAITAOF" => Route::Blocking(millis(args.get(3).copied())),
        b"WATCH" | b"UNWATCH" | b"MULTI" | b"EXEC" | b"DISCARD" | b"SUBSCRIBE" | b"PSUBSCRIBE"
        | b"SSUBSCRIBE" | b"UNSUBSCRIBE" | b"PUNSUBSCRIBE" | b"SUNSUBSCRIBE" | b"SELECT"
        | b"MONITOR" | b"RESET" | b"QUIT" | b"AUTH" | b"HELLO" => Route::Stateful,
        _ => Route::Shared,
    }
}

fn seconds(arg: Option<&[u8]>) -> Option<Duration> {
    let secs: f64 = std::str::from_utf8(arg?).ok()?.parse().ok()?;
    (secs > 0.0).then(|| Duration::from_secs_f64(secs))
}

fn millis(arg: Option<&[u8]>) -> Option<Duration> {
    let ms: u64 = std::str::from_utf8(arg?).ok()?.parse().ok()?;
    (ms > 0).then(|| Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocking_commands_carry_their_block_time() {
        assert_eq!(
            route(redis::cmd("blpop").arg("q").arg(5)),
            Route::Blocking(Some(Duration::from_secs(5)))
        );
        assert_eq!(
            route(redis::cmd("BLPOP").arg("q").arg(0)),
            Route::Blocking(None)
        );
        assert_eq!(
            route(
                redis::cmd("XREADGROUP")
                    .arg("GROUP")
                    .arg("g")
                    .arg("c")
                    .arg("BLOCK")
                    .arg(1500)
                    .arg("STREAMS")
                    .arg("s")
                    .arg(">")
            ),
            Route::Blocking(Some(Duration::from_millis(1500)))
        );
        assert_eq!(
            route(redis::cmd("XREAD").arg("STREAMS").arg("s").arg("0")),
            Route::Shared
        );
    }

    #[test]
    fn connection_state_commands_are_refused() {
        assert_eq!(route(redis::cmd("WATCH").arg("k")), Route::Stateful);
        assert_eq!(route(&redis::cmd("MULTI")), Route::Stateful);
        assert_eq!(route(redis::cmd("GET").arg("k")), Route::Shared);
    }
}
