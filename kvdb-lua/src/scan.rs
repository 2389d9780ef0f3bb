//! Reading the program directories: which entries are programs, and their sources.
//!
//! Only the directories' own entries are read: sub-directories are skipped and reported
//! ([`SkipReason::SubDirectory`]), never walked, so a program's name is always its file name
//! without `.lua` and never depends on a path. Entries are taken in byte order of their names,
//! directory after directory, so every load sees the same order. Symbolic links are followed.
//! This is blocking file I/O: the loader runs it on tokio's blocking pool.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use crate::{LoadFailure, Origin, Problem, SkipReason, Skipped};

/// A program's source as read, or why it could not be read (with the line, when known).
pub(crate) type Content = Result<String, (Problem, Option<u32>)>;

/// One `*.lua` file.
#[derive(Debug)]
pub(crate) struct SourceFile {
    pub(crate) name: String,
    pub(crate) path: PathBuf,
    pub(crate) content: Content,
}

/// Everything found in the directories.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub(crate) files: Vec<SourceFile>,
    pub(crate) skipped: Vec<Skipped>,
    /// Directories that could not be listed, and files without a usable name.
    pub(crate) failed: Vec<LoadFailure>,
}

const EXTENSION: &str = ".lua";

/// Reads every directory, in order.
pub(crate) fn scan(dirs: &[PathBuf]) -> Scan {
    let mut scan = Scan::default();
    for dir in dirs {
        scan_dir(dir, &mut scan);
    }
    scan
}

fn scan_dir(dir: &Path, scan: &mut Scan) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            scan.failed.push(failure(
                dir.to_path_buf(),
                None,
                Problem::DirUnreadable {
                    reason: err.to_string(),
                },
            ));
            return;
        }
    };
    let mut paths = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => paths.push(entry.path()),
            Err(err) => scan.failed.push(failure(
                dir.to_path_buf(),
                None,
                Problem::DirUnreadable {
                    reason: err.to_string(),
                },
            )),
        }
    }
    paths.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    for path in paths {
        scan_entry(path, scan);
    }
}

fn scan_entry(path: PathBuf, scan: &mut Scan) {
    let file_name = path.file_name().unwrap_or(OsStr::new(""));
    let is_lua = file_name.as_encoded_bytes().ends_with(EXTENSION.as_bytes());
    if file_name.as_encoded_bytes().starts_with(b".") {
        return scan.skipped.push(Skipped {
            path,
            reason: SkipReason::Hidden,
        });
    }
    let metadata = match fs::metadata(&path) {
        Ok(metadata) => metadata,
        Err(err) if is_lua => {
            let problem = Problem::Unreadable {
                reason: err.to_string(),
            };
            let name = program_name(file_name);
            return scan.failed.push(failure(path, name, problem));
        }
        Err(_) => {
            return scan.skipped.push(Skipped {
                path,
                reason: SkipReason::NotLua,
            })
        }
    };
    let reason = if metadata.is_dir() {
        Some(SkipReason::SubDirectory)
    } else if !metadata.is_file() {
        Some(SkipReason::NotAFile)
    } else if !is_lua {
        Some(SkipReason::NotLua)
    } else {
        None
    };
    if let Some(reason) = reason {
        return scan.skipped.push(Skipped { path, reason });
    }
    let Some(name) = program_name(file_name) else {
        return scan.failed.push(failure(path, None, Problem::NameNotUtf8));
    };
    let content = read_source(&path);
    scan.files.push(SourceFile {
        name,
        path,
        content,
    });
}

/// `mylib.check_if_exists.lua` -> `mylib.check_if_exists`; `None` if the name is not UTF-8.
fn program_name(file_name: &OsStr) -> Option<String> {
    let name = file_name.to_str()?;
    Some(name.strip_suffix(EXTENSION).unwrap_or(name).to_owned())
}

fn read_source(path: &Path) -> Content {
    let bytes = fs::read(path).map_err(|err| {
        let reason = err.to_string();
        (Problem::Unreadable { reason }, None)
    })?;
    let text = String::from_utf8(bytes).map_err(|err| {
        let valid = &err.as_bytes()[..err.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        (Problem::NotUtf8, u32::try_from(line).ok())
    })?;
    if text.trim().is_empty() {
        return Err((Problem::Empty, None));
    }
    Ok(text)
}

fn failure(path: PathBuf, name: Option<String>, problem: Problem) -> LoadFailure {
    LoadFailure {
        origin: Origin::File(path),
        name,
        line: None,
        problem,
        kept_previous: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_order() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &[u8]| fs::write(dir.path().join(name), text).unwrap();
        write("b.lua", b"return 2");
        write("mylib.check_if_exists.lua", b"return 1");
        write("a.lua", b"return 1");
        write("notes.txt", b"x");
        write(".hidden.lua", b"return 1");
        write("empty.lua", b" \n\t\n");
        write("latin1.lua", b"-- ok\n-- ok\nreturn '\xe9'");
        fs::create_dir(dir.path().join("sub.lua")).unwrap();
        fs::write(dir.path().join("sub.lua").join("deep.lua"), "return 1").unwrap();

        let scan = scan(&[dir.path().to_path_buf()]);
        let names: Vec<&str> = scan.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["a", "b", "empty", "latin1", "mylib.check_if_exists"]
        );
        assert_eq!(scan.files[2].content, Err((Problem::Empty, None)));
        assert_eq!(scan.files[3].content, Err((Problem::NotUtf8, Some(3))));
        let skipped: Vec<(String, SkipReason)> = scan
            .skipped
            .iter()
            .map(|s| {
                (
                    s.path.file_name().unwrap().to_string_lossy().into_owned(),
                    s.reason,
                )
            })
            .collect();
        assert_eq!(
            skipped,
            [
                (".hidden.lua".to_owned(), SkipReason::Hidden),
                ("notes.txt".to_owned(), SkipReason::NotLua),
                ("sub.lua".to_owned(), SkipReason::SubDirectory),
            ]
        );
        assert!(scan.failed.is_empty());
    }

    #[test]
    fn missing_directory_is_a_failure() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let scan = scan(std::slice::from_ref(&missing));
        assert_eq!(scan.failed.len(), 1);
        assert_eq!(scan.failed[0].origin, Origin::File(missing));
        assert!(matches!(
            scan.failed[0].problem,
            Problem::DirUnreadable { .. }
        ));
    }
}
