//! The Lua scripts, as constants with their SHA1.

use std::fmt;
use std::sync::OnceLock;

/// The prelude: the server's clock, fence issue, wake-ups, waiters' marks, pruning of expired
/// holds and the one-keyspace checks, each written once in `lua/prelude/`. A script starts with
/// the parts it calls (in this order: `clock`, `fence`, `wake`, `mark`, `holds`, `kinds`, each
/// part after those it calls), and no others: every part a script carries is a closure the
/// server builds on each call (measured: the whole prelude cost a release about 1 µs of server
/// time, about a seventh of it).
macro_rules! with_prelude {
    ([$($part:ident),*] $(, $file:literal)+) => {
        concat!(
            $(include_str!(concat!("../lua/prelude/", stringify!($part), ".lua")),)*
            $(include_str!($file)),+
        )
    };
}

/// A Lua script run with `EVALSHA` (and loaded on `NOSCRIPT`). User data never enters the
/// source: every key goes in `KEYS` and every value in `ARGV`.
pub struct LuaScript {
    name: &'static str,
    source: &'static str,
    sha1: OnceLock<String>,
}

impl LuaScript {
    const fn new(name: &'static str, source: &'static str) -> Self {
        Self { name, source, sha1: OnceLock::new() }
    }

    /// A short name, for logs.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The Lua source.
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// The SHA1 Redis knows the script by, in lowercase hex.
    pub fn sha1(&self) -> &str {
        self.sha1.get_or_init(|| sha1_smol::Sha1::from(self.source).digest().to_string())
    }
}

impl fmt::Debug for LuaScript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LuaScript").field("name", &self.name).field("sha1", &self.sha1()).finish()
    }
}

/// `KEYS`: lock, fence counter, waiter mark, optionally the metadata hash. `ARGV`: token, ttl
/// ms, fencing flag, counter ttl ms, then the metadata's field-value pairs. Replies one integer:
/// the fence (`>= 0`) when acquired, `-2 - pttl` when held (then the waiter's mark is left).
pub static ACQUIRE: LuaScript = LuaScript::new(
    "acquire",
    with_prelude!([fence, mark], "../lua/grant.lua", "../lua/acquire.lua"),
);

/// `KEYS`: each lock, its fence counter and its waiter mark, in turn. `ARGV`: ttl ms, fencing
/// flag, counter ttl ms, each lock's token. Replies `{1, fence, ...}` when all were granted,
/// `{0, index, pttl}` when one is held (nothing changed but that lock's waiter mark).
pub static MULTI_ACQUIRE: LuaScript = LuaScript::new(
    "multi_acquire",
    with_prelude!([fence, mark], "../lua/grant.lua", "../lua/multi_acquire.lua"),
);

/// `KEYS`: lock, fence counter, queue, waiters. `ARGV`: token, ttl ms, fencing flag, counter
/// ttl ms, place ttl ms, wake-up channel, publish mode. Replies like [`ACQUIRE`]: the fence
/// when granted, `-2 - pttl` when the token waits in line.
pub static FAIR_ACQUIRE: LuaScript = LuaScript::new(
    "fair_acquire",
    with_prelude!(
        [clock, fence, wake, mark],
        "../lua/grant.lua",
        "../lua/fair.lua",
        "../lua/fair_acquire.lua"
    ),
);

/// `KEYS`: lock, fence counter, queue, waiters. `ARGV`: token, publish mode, channel, fencing
/// flag, counter ttl ms. Replies 1 (released, and handed to the first live waiter if any) or 0.
pub static FAIR_RELEASE: LuaScript = LuaScript::new(
    "fair_release",
    with_prelude!(
        [clock, fence, wake, mark],
        "../lua/grant.lua",
        "../lua/fair.lua",
        "../lua/fair_release.lua"
    ),
);

/// `KEYS`: lock, waiter mark, metadata hash. `ARGV`: token, publish mode, channel. Replies 1
/// or 0; publishes only when the lock had a waiter's mark (or metadata).
pub static RELEASE: LuaScript =
    LuaScript::new("release", with_prelude!([wake], "../lua/release.lua"));

/// `KEYS`: lock, waiter mark. `ARGV`: ms the mark outlives the holder's ttl. Leaves the mark
/// (for a watch made without an attempt); replies the lock's PTTL.
pub static MARK: LuaScript = LuaScript::new("mark", with_prelude!([mark], "../lua/mark.lua"));

/// `KEYS`: lock, optionally the metadata hash. `ARGV`: token, ttl ms. Replies 1 or 0.
pub static EXTEND: LuaScript = LuaScript::new("extend", include_str!("../lua/extend.lua"));

/// `KEYS`: the locks. `ARGV`: each lock's token and ttl ms, in turn. Replies one integer per
/// lock: 1 extended, 0 not held.
pub static EXTEND_MANY: LuaScript =
    LuaScript::new("extend_many", include_str!("../lua/extend_many.lua"));

/// `KEYS`: lock, fence counter. Replies nil or `{holder, pttl, fence}`, the fence only when it
/// was issued to the holder.
pub static INSPECT: LuaScript = LuaScript::new("inspect", include_str!("../lua/inspect.lua"));

/// `KEYS`: permits (sorted set), their fences (hash), fence counter. `ARGV`: token, limit, ttl
/// ms, fencing flag, counter ttl ms. Replies like [`ACQUIRE`]: the fence when acquired, `-2 -
/// ms` until the soonest permit expires when full.
pub static PERMIT_ACQUIRE: LuaScript = LuaScript::new(
    "permit_acquire",
    with_prelude!([clock, fence, holds, kinds], "../lua/permit_acquire.lua"),
);

/// `KEYS`: permits, fences. `ARGV`: token, publish mode, channel. Replies 1 or 0.
pub static PERMIT_RELEASE: LuaScript = LuaScript::new(
    "permit_release",
    with_prelude!([clock, wake, holds, kinds], "../lua/permit_release.lua"),
);

/// `KEYS`: permits, fences (or a reader-writer lock's holds and their hash). `ARGV`: token,
/// ttl ms. Replies 1 or 0.
pub static PERMIT_EXTEND: LuaScript = LuaScript::new(
    "permit_extend",
    with_prelude!([clock, holds, kinds], "../lua/permit_extend.lua"),
);

/// `KEYS`: permits, fences. Replies a flat array of `token, pttl, fence or nil` per live permit.
pub static PERMIT_INSPECT: LuaScript =
    LuaScript::new("permit_inspect", with_prelude!([clock, kinds], "../lua/permit_inspect.lua"));

/// `KEYS`: holds (sorted set), their modes and fences (hash), fence counter, waiting mark.
/// `ARGV`: token, mode (`r`, `u`, `w`), ttl ms, fencing flag, counter ttl ms. Replies like
/// [`ACQUIRE`].
pub static RW_ACQUIRE: LuaScript = LuaScript::new(
    "rw_acquire",
    with_prelude!([clock, fence, wake, holds, kinds], "../lua/rw_acquire.lua"),
);

/// `KEYS`: holds, hash, waiting mark. `ARGV`: token, publish mode, channel. Replies 1 or 0.
pub static RW_RELEASE: LuaScript = LuaScript::new(
    "rw_release",
    with_prelude!([clock, wake, holds, kinds], "../lua/rw_release.lua"),
);

/// `KEYS`: holds, hash, waiting mark. Replies `{mark 0/1, token, pttl, mode and fence, ...}`.
pub static RW_INSPECT: LuaScript =
    LuaScript::new("rw_inspect", with_prelude!([clock, kinds], "../lua/rw_inspect.lua"));

/// `KEYS`: lock, data key, highest fences (hash). `ARGV`: token, value, fence or `''`. Replies
/// -1 (not held), 0 (written) or the highest recorded fence as a string (stale).
pub static GUARDED_WRITE: LuaScript =
    LuaScript::new("guarded_write", include_str!("../lua/guarded_write.lua"));

/// `KEYS`: data key. Replies its value or nil.
pub static READ_DATA: LuaScript = LuaScript::new("read_data", include_str!("../lua/read_data.lua"));

/// `KEYS`: lock, metadata hash. Replies nil (free) or `{holder, {field, value, ...}}`.
pub static METADATA_INSPECT: LuaScript =
    LuaScript::new("metadata_inspect", include_str!("../lua/metadata_inspect.lua"));

/// Every script, for loading ahead of time.
pub static ALL: [&LuaScript; 19] = [
    &ACQUIRE,
    &RELEASE,
    &MARK,
    &EXTEND,
    &INSPECT,
    &PERMIT_ACQUIRE,
    &PERMIT_RELEASE,
    &PERMIT_EXTEND,
    &PERMIT_INSPECT,
    &RW_ACQUIRE,
    &RW_RELEASE,
    &RW_INSPECT,
    &GUARDED_WRITE,
    &READ_DATA,
    &METADATA_INSPECT,
    &MULTI_ACQUIRE,
    &EXTEND_MANY,
    &FAIR_ACQUIRE,
    &FAIR_RELEASE,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_is_stable_hex() {
        for script in ALL {
            assert_eq!(script.sha1().len(), 40);
            assert!(script.sha1().bytes().all(|b| b.is_ascii_hexdigit()));
        }
        assert_ne!(ACQUIRE.sha1(), RELEASE.sha1());
    }

    /// The Lua code of `source`, comments left out.
    fn code(source: &str) -> String {
        source
            .lines()
            .map(|line| line.split("--").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The prelude's parts, by name.
    const PARTS: [(&str, &str); 6] = [
        ("clock", include_str!("../lua/prelude/clock.lua")),
        ("fence", include_str!("../lua/prelude/fence.lua")),
        ("wake", include_str!("../lua/prelude/wake.lua")),
        ("mark", include_str!("../lua/prelude/mark.lua")),
        ("holds", include_str!("../lua/prelude/holds.lua")),
        ("kinds", include_str!("../lua/prelude/kinds.lua")),
    ];

    /// The names of the functions `source` defines with `local function`.
    fn defined(source: &str) -> Vec<&str> {
        source
            .lines()
            .filter_map(|line| line.strip_prefix("local function "))
            .filter_map(|rest| rest.split('(').next())
            .collect()
    }

    /// Only the prelude reads the clock, issues fences (the counter's `"<fence>:<token>"`
    /// records) or publishes wake-ups; each part is written once; and every script defines, before
    /// its own code, each prelude function it calls (a call to a function it does not define
    /// would fail on the server, and only when that path runs).
    #[test]
    fn the_clock_fences_and_wake_ups_are_written_once() {
        let once = ["redis.call('TIME')", "'%d:%s'", "'PUBLISH'", "'SPUBLISH'"];
        let prelude: String = PARTS.iter().map(|(_, part)| *part).collect();
        for needle in once {
            assert!(code(&prelude).contains(needle), "the prelude lacks {needle}");
        }
        let functions: Vec<&str> = defined(&prelude);
        for script in ALL {
            let mut own = script.source();
            while let Some((_, part)) = PARTS.iter().find(|(_, part)| own.starts_with(part)) {
                own = &own[part.len()..];
            }
            for needle in once {
                assert!(
                    !code(own).contains(needle),
                    "{} writes {needle} itself instead of using the prelude",
                    script.name()
                );
            }
            let carried = defined(&script.source()[..script.source().len() - own.len()]);
            for name in &functions {
                assert!(!defined(own).contains(name), "{} defines {name} again", script.name());
                if code(own).contains(&format!("{name}(")) || uses_in_carried(script, name) {
                    assert!(
                        carried.contains(name),
                        "{} calls {name} without the prelude part that defines it",
                        script.name()
                    );
                }
            }
        }
    }

    /// Whether the prelude parts `script` carries call `name` (one part calls another).
    fn uses_in_carried(script: &LuaScript, name: &str) -> bool {
        PARTS.iter().any(|(_, part)| {
            script.source().contains(part)
                && code(part).contains(&format!("{name}("))
                && !defined(part).contains(&name)
        })
    }
}
