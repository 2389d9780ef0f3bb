//! Reading the line number out of the server's Lua error messages.
//!
//! Redis names the script chunk `user_script`, so a compile error reads
//! `Error compiling script (new function): user_script:2: unexpected symbol near '<eof>'` and a
//! runtime error `user_script:1: Script attempted to access nonexistent global variable 'x'
//! script: 9b1f..., on @user_script:1.` (Redis 7) . The line is the program file's own line,
//! because the source is sent unchanged.

const CHUNK: &str = "user_script:";

/// The line number the message names, if any.
pub(crate) fn line(message: &str) -> Option<u32> {
    let start = message.find(CHUNK)? + CHUNK.len();
    let digits: &str = &message[start..];
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse().ok()
}

/// The compiler's own words: the text after `user_script:N: `, or the whole message.
pub(crate) fn compile_error_text(message: &str) -> &str {
    let Some(start) = message.find(CHUNK) else {
        return message.trim();
    };
    let rest = &message[start + CHUNK.len()..];
    let after_digits = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    match after_digits.strip_prefix(':') {
        Some(text) if after_digits.len() < rest.len() => text.trim(),
        _ => message.trim(),
    }
}

/// A runtime error's own words: without the `user_script:N: ` prefix and the
/// ` script: <sha1>, on @user_script:N.` suffix Redis 7 adds (the error names the program and
/// line already). Anything else is returned as it is.
pub(crate) fn runtime_error_text(message: &str) -> &str {
    let mut text = message.trim();
    if let Some(rest) = text.strip_prefix(CHUNK) {
        let after_digits = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        if after_digits.len() < rest.len() {
            if let Some(own) = after_digits.strip_prefix(": ") {
                text = own;
            }
        }
    }
    if let Some(at) = text.rfind(" script: ") {
        let suffix = &text[at + " script: ".len()..];
        let sha1_len = suffix
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(suffix.len());
        if sha1_len == 40 && suffix[sha1_len..].starts_with(", on @user_script:") {
            text = &text[..at];
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compile_error() {
        let message =
            "Error compiling script (new function): user_script:2: unexpected symbol near '<eof>'";
        assert_eq!(line(message), Some(2));
        assert_eq!(
            compile_error_text(message),
            "unexpected symbol near '<eof>'"
        );
    }

    #[test]
    fn runtime_error() {
        let message = "user_script:12: Script attempted to access nonexistent global variable 'x' script: 9b1f, on @user_script:12.";
        assert_eq!(line(message), Some(12));
        let message = "value is not an integer or out of range script: 9b1f, on @user_script:3.";
        assert_eq!(line(message), Some(3));
    }

    #[test]
    fn runtime_error_text_drops_what_the_error_already_says() {
        let sha = "5640acbff9f260c996df18ce3d9d42b4ac79f195";
        let message = format!("user_script:3: Script attempted to access nonexistent global variable 'x' script: {sha}, on @user_script:3.");
        assert_eq!(
            runtime_error_text(&message),
            "Script attempted to access nonexistent global variable 'x'"
        );
        let message =
            format!("value is not an integer or out of range script: {sha}, on @user_script:1.");
        assert_eq!(
            runtime_error_text(&message),
            "value is not an integer or out of range"
        );
        assert_eq!(
            runtime_error_text("the order is closed"),
            "the order is closed"
        );
        assert_eq!(runtime_error_text("a script: b"), "a script: b");
    }

    #[test]
    fn no_line() {
        assert_eq!(line("NOPERM no permission"), None);
        assert_eq!(line("user_script: odd"), None);
        assert_eq!(compile_error_text("  strange  "), "strange");
        assert_eq!(compile_error_text("user_script:x"), "user_script:x");
    }
}
