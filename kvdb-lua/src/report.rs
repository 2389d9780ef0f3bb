//! [`LoadReport`]: what a load or reload did, file by file.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::{Origin, Program};

/// What a load or reload did: the programs it loaded, the files that failed, the entries it
/// skipped, and how the set of live programs changed.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct LoadReport {
    /// Programs whose current source is live after this load, in load order (internal
    /// programs first, then each directory's files by name).
    pub loaded: Vec<Arc<Program>>,
    /// What failed: directories that could not be listed first, then files in load order.
    pub failed: Vec<LoadFailure>,
    /// Directory entries that are not programs: sub-directories, hidden files, other files.
    pub skipped: Vec<Skipped>,
    /// Names of programs live now that were not before.
    pub added: Vec<String>,
    /// Names of programs whose source or file changed.
    pub updated: Vec<String>,
    /// Names of programs that were live before and are gone now.
    pub removed: Vec<String>,
    /// Names of internal programs replaced by a directory's file (with
    /// [`LuaOptions::allow_override_internal`](crate::LuaOptions)).
    pub overridden: Vec<String>,
}

impl LoadReport {
    /// True when nothing failed.
    pub fn is_clean(&self) -> bool {
        self.failed.is_empty()
    }
}

/// One file (or directory) that failed to load: where, on which line, and why.
///
/// Displays as `path:line: problem`, the way compilers report, e.g.
/// `/lua/user/broken.lua:2: does not compile: unexpected symbol near '<eof>'`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadFailure {
    /// The file (or, for [`Problem::DirUnreadable`], the directory).
    pub origin: Origin,
    /// The program name the file would have had, if it has one.
    pub name: Option<String>,
    /// The line the problem is on, when known.
    pub line: Option<u32>,
    /// What is wrong.
    pub problem: Problem,
    /// Whether a previous version of this program (or, for a directory, its programs)
    /// stays live: a reload never replaces a working program by a broken one.
    pub kept_previous: bool,
}

impl fmt::Display for LoadFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.problem)?;
        if self.kept_previous {
            write!(f, " (the previous version stays live)")?;
        }
        Ok(())
    }
}

/// Why a file failed to load.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// A program directory could not be listed (missing, not a directory, no permission).
    DirUnreadable {
        /// The operating system's reason.
        reason: String,
    },
    /// The file could not be read.
    Unreadable {
        /// The operating system's reason.
        reason: String,
    },
    /// The file's name is not valid UTF-8, so it cannot name a program.
    NameNotUtf8,
    /// The file is not valid UTF-8; the failure's line is the line of the first bad byte.
    NotUtf8,
    /// The file is empty or holds only white space.
    Empty,
    /// The `-- kvdb:` header comment is malformed.
    Header {
        /// What is wrong with it.
        message: String,
    },
    /// The server refused to compile the program (SCRIPT LOAD failed).
    Compile {
        /// The compiler's message, without the `user_script:N:` prefix.
        message: String,
    },
    /// Another file (or an internal program) already has this program name.
    Duplicate {
        /// The program name.
        name: String,
        /// Where the program that keeps the name comes from.
        other: Origin,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::DirUnreadable { reason } => write!(f, "cannot list directory: {reason}"),
            Problem::Unreadable { reason } => write!(f, "cannot read file: {reason}"),
            Problem::NameNotUtf8 => write!(f, "file name is not valid UTF-8"),
            Problem::NotUtf8 => write!(f, "file is not valid UTF-8"),
            Problem::Empty => write!(f, "file is empty"),
            Problem::Header { message } => write!(f, "bad `-- kvdb:` header: {message}"),
            Problem::Compile { message } => write!(f, "does not compile: {message}"),
            Problem::Duplicate { name, other } if other.is_internal() => write!(
                f,
                "program name \"{name}\" is taken by the internal program {other} \
                 (set LuaOptions::allow_override_internal to replace it)"
            ),
            Problem::Duplicate { name, other } => {
                write!(f, "program name \"{name}\" is also taken by {other}")
            }
        }
    }
}

/// A directory entry that is not loaded, and is not an error.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Skipped {
    /// The entry's path.
    pub path: PathBuf,
    /// Why it was skipped.
    pub reason: SkipReason,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: skipped, {}", self.path.display(), self.reason)
    }
}

/// Why a directory entry was skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// A sub-directory: program directories are not walked (add it to
    /// [`LuaOptions::dirs`](crate::LuaOptions) to load it).
    SubDirectory,
    /// A hidden file (its name starts with `.`), such as an editor's lock file.
    Hidden,
    /// A file whose name does not end with `.lua`.
    NotLua,
    /// Neither a file nor a directory (a socket, a FIFO, a device).
    NotAFile,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkipReason::SubDirectory => "sub-directories are not walked",
            SkipReason::Hidden => "hidden file",
            SkipReason::NotLua => "not a .lua file",
            SkipReason::NotAFile => "not a regular file",
        })
    }
}
