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
///
/// This runs on every call, so it allocates nothing: the name is upper-cased into a small
/// stack buffer, and only blocking commands look at their other arguments.
pub(crate) fn route(cmd: &Cmd) -> Route {
    let mut args = cmd.args_iter().filter_map(|arg| match arg {
        Arg::Simple(bytes) => Some(bytes),
        _ => None,
    });
    let Some(name) = args.next() else {
        return Route::Shared;
    };
    // No command that needs routing has a name longer than this.
    let mut upper = [0u8; 12];
    if name.len() > upper.len() {
        return Route::Shared;
    }
    for (to, from) in upper.iter_mut().zip(name) {
        *to = from.to_ascii_uppercase();
    }
    match &upper[..name.len()] {
        // Timeout in seconds as the last argument.
        b"BLPOP" | b"BRPOP" | b"BRPOPLPUSH" | b"BLMOVE" | b"BZPOPMIN" | b"BZPOPMAX" => {
            Route::Blocking(seconds(args.last()))
        }
        // Timeout in seconds as the first argument after the name.
        b"BLMPOP" | b"BZMPOP" => Route::Blocking(seconds(args.next())),
        // BLOCK milliseconds, if present.
        b"XREAD" | b"XREADGROUP" => {
            let mut args = args.skip_while(|arg| !arg.eq_ignore_ascii_case(b"BLOCK"));
            match args.next() {
                Some(_) => Route::Blocking(millis(args.next())),
                None => Route::Shared,
            }
        }
        b"WAIT" => Route::Blocking(millis(args.nth(1))),
        b"WAITAOF" => Route::Blocking(millis(args.nth(2))),
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
