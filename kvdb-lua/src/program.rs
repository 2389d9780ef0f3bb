//! [`Program`]: one loaded Lua program, and [`Origin`]: where it came from.

use std::fmt;
use std::path::{Path, PathBuf};

use kvdb_core::Script;

/// Where a program's source came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Origin {
    /// A file in one of the program directories (or, for a directory-level failure, the
    /// directory itself).
    File(PathBuf),
    /// A program embedded in the binary at compile time; `file` is its source file's name as
    /// given to [`InternalProgram::new`](crate::InternalProgram::new).
    Internal {
        /// The embedded source file's name, for messages.
        file: &'static str,
    },
}

impl Origin {
    /// The file's path, for a program loaded from a directory.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Origin::File(path) => Some(path),
            Origin::Internal { .. } => None,
        }
    }

    /// Whether the program is embedded in the binary.
    pub fn is_internal(&self) -> bool {
        matches!(self, Origin::Internal { .. })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(path) => write!(f, "{}", path.display()),
            Origin::Internal { file } => write!(f, "internal:{file}"),
        }
    }
}

/// A loaded Lua program: its name, where it came from, its header, and the [`Script`]
/// (source and SHA1) that runs it.
///
/// Programs are immutable: a reload makes new ones, and a caller holding one keeps the
/// version it had.
#[derive(Clone, Debug)]
pub struct Program {
    name: String,
    origin: Origin,
    script: Script,
    keys: Option<usize>,
    read_only: bool,
}

impl Program {
    pub(crate) fn new(
        name: String,
        origin: Origin,
        script: Script,
        keys: Option<usize>,
        read_only: bool,
    ) -> Program {
        Program {
            name,
            origin,
            script,
            keys,
            read_only,
        }
    }

    /// The program's name: its file name without the trailing `.lua`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where the program came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The SHA1 of the source, as EVALSHA takes it.
    pub fn sha1(&self) -> &str {
        self.script.sha1()
    }

    /// The Lua source.
    pub fn source(&self) -> &str {
        self.script.source()
    }

    /// The script, for [`kvdb_core::Pipeline::invoke_script`] and other direct uses.
    pub fn script(&self) -> &Script {
        &self.script
    }

    /// The number of keys the header declares (`-- kvdb: keys=N`), if it declares one.
    pub fn keys(&self) -> Option<usize> {
        self.keys
    }

    /// Whether the header declares the program read-only (`-- kvdb: readonly`).
    pub fn read_only(&self) -> bool {
        self.read_only
    }
}
