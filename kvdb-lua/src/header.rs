//! The optional header comment by which a program declares its key count and read-only-ness.
//!
//! Syntax: one line `-- kvdb: keys=2 readonly` in the comment block at the top of the file
//! (before the first line of code; a `#!lua` shebang line may come first). Items are separated
//! by spaces or commas; both are optional: `-- kvdb: keys=0`, `-- kvdb: readonly`. An unknown
//! item is an error, so that a typo (`read-only`, `key=2`) does not go unnoticed.

/// What a header declares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Header {
    /// `keys=N`: calls must pass exactly N keys.
    pub(crate) keys: Option<usize>,
    /// `readonly`: the program only reads, and may run with EVALSHA_RO.
    pub(crate) read_only: bool,
}

/// A header that could not be parsed: the 1-based line and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HeaderError {
    pub(crate) line: u32,
    pub(crate) message: String,
}

const MARKER: &str = "kvdb:";

/// Reads the header from the leading comment block of `source`; no header is `Header::default()`.
pub(crate) fn parse(source: &str) -> Result<Header, HeaderError> {
    let mut header = None;
    // The closing bracket of the block comment we are in, if any.
    let mut block_end: Option<String> = None;
    for (index, raw) in source.lines().enumerate() {
        let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let line = raw.trim();
        if let Some(end) = &block_end {
            if line.contains(end.as_str()) {
                block_end = None;
            }
            continue;
        }
        if index == 0 && line.starts_with("#!") {
            continue;
        }
        if line.is_empty() {
            continue;
        }
        let Some(comment) = line.strip_prefix("--") else {
            break;
        };
        if let Some(end) = block_comment_end(comment) {
            // `--[[ ... ]]` or `--[==[ ... ]==]`: a block comment, perhaps over several lines.
            if !comment.contains(end.as_str()) {
                block_end = Some(end);
            }
            continue;
        }
        let Some(items) = comment.trim_start().strip_prefix(MARKER) else {
            continue;
        };
        if header.is_some() {
            return Err(HeaderError {
                line: line_no,
                message: String::from("a second `-- kvdb:` header line; put every item on one"),
            });
        }
        header = Some(parse_items(items).map_err(|message| HeaderError {
            line: line_no,
            message,
        })?);
    }
    Ok(header.unwrap_or_default())
}

/// For a comment opening a long bracket (`[[`, `[=[`, ...), the bracket that closes it.
fn block_comment_end(comment: &str) -> Option<String> {
    let rest = comment.strip_prefix('[')?;
    let level = rest.len() - rest.trim_start_matches('=').len();
    rest[level..]
        .starts_with('[')
        .then(|| format!("]{}]", "=".repeat(level)))
}

fn parse_items(items: &str) -> Result<Header, String> {
    let mut header = Header::default();
    for item in items
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|item| !item.is_empty())
    {
        if item == "readonly" {
            header.read_only = true;
        } else if let Some(count) = item.strip_prefix("keys=") {
            let count = count
                .parse()
                .map_err(|_| format!("`{item}`: the key count must be a whole number"))?;
            header.keys = Some(count);
        } else {
            return Err(format!(
                "unknown item `{item}` (expected `keys=N` or `readonly`)"
            ));
        }
    }
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_header() {
        assert_eq!(parse("return 1").unwrap(), Header::default());
        assert_eq!(parse("").unwrap(), Header::default());
    }

    #[test]
    fn keys_and_readonly() {
        let header = parse("-- A program.\n-- kvdb: keys=2 readonly\nreturn 1").unwrap();
        assert_eq!(
            header,
            Header {
                keys: Some(2),
                read_only: true
            }
        );
        let header = parse("#!lua flags=no-writes\n\n--kvdb: keys=0,readonly\n").unwrap();
        assert_eq!(header.keys, Some(0));
        assert!(header.read_only);
    }

    #[test]
    fn only_the_leading_comment_block_counts() {
        let header = parse("return 1\n-- kvdb: keys=2\n").unwrap();
        assert_eq!(header, Header::default());
        let header = parse("--[[ block\n-- kvdb: keys=9\n]]\n-- kvdb: keys=1\nreturn 1").unwrap();
        assert_eq!(header.keys, Some(1));
        let header = parse("--[==[ block ]]\n-- kvdb: keys=9\n]==]\n-- kvdb: keys=3\n").unwrap();
        assert_eq!(header.keys, Some(3));
        let header = parse("--[[ one line ]]\n-- kvdb: keys=4\n").unwrap();
        assert_eq!(header.keys, Some(4));
    }

    #[test]
    fn errors_name_the_line() {
        let err = parse("-- x\n-- kvdb: keys=two").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("keys=two"), "{}", err.message);
        let err = parse("-- kvdb: read-only").unwrap_err();
        assert!(
            err.message.contains("unknown item `read-only`"),
            "{}",
            err.message
        );
        let err = parse("-- kvdb: keys=1\n-- kvdb: readonly").unwrap_err();
        assert_eq!(err.line, 2);
    }
}
