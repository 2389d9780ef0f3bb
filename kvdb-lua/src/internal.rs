//! [`InternalProgram`]: Lua programs embedded in the binary at compile time.

/// The name of the built-in rename-if-exists program: `KEYS[1]` from, `KEYS[2]` to; if
/// `from` exists it is RENAMEd to `to` and the program returns 10, otherwise 11.
pub const RENAME_IF_EXISTS: &str = "kvdb.rename_if_exists";

/// A Lua program compiled into the binary (with `include_str!`), loaded with every
/// [`LuaContainer`](crate::LuaContainer) next to the programs of its directories.
///
/// kvdb's own internal programs are named `kvdb.*` ([`InternalProgram::builtin`]); register
/// programs of your own with [`LuaOptions::internal_program`](crate::LuaOptions::internal_program),
/// under a prefix of your own. A file in a program directory may not take an internal
/// program's name unless [`LuaOptions::allow_override_internal`](crate::LuaOptions) is set.
///
/// ```
/// use kvdb_lua::{InternalProgram, LuaOptions};
///
/// const BUMP: InternalProgram =
///     InternalProgram::new("myapp.bump", "bump.lua", "return redis.call('INCR', KEYS[1])");
/// let options = LuaOptions::default().internal_program(BUMP);
/// assert!(options.internal.iter().any(|p| p.name == "myapp.bump"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct InternalProgram {
    /// The program's name.
    pub name: &'static str,
    /// The source file's name, for listings and error messages.
    pub file: &'static str,
    /// The Lua source.
    pub source: &'static str,
}

impl InternalProgram {
    /// An internal program from its name, file name and source.
    pub const fn new(
        name: &'static str,
        file: &'static str,
        source: &'static str,
    ) -> InternalProgram {
        InternalProgram { name, file, source }
    }

    /// kvdb's own internal programs: [`RENAME_IF_EXISTS`].
    pub fn builtin() -> &'static [InternalProgram] {
        BUILTIN
    }
}

impl std::fmt::Debug for InternalProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InternalProgram")
            .field("name", &self.name)
            .field("file", &self.file)
            .field("source_len", &self.source.len())
            .finish()
    }
}

const BUILTIN: &[InternalProgram] = &[InternalProgram::new(
    RENAME_IF_EXISTS,
    "kvdb-lua/lua/rename_if_exists.lua",
    include_str!("../lua/rename_if_exists.lua"),
)];
