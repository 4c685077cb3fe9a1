//! Operating-system randomness for tokens, fetched in blocks.
//!
//! One `getrandom` call per token costs a system call on every acquire; a thread-local block
//! of 512 bytes serves 32 tokens per call instead. Bytes are handed out once and wiped from
//! the block as they go. A forked child never reuses its parent's block: the block remembers
//! the process id it was filled in and is refilled when that changes.

use std::cell::RefCell;

const BLOCK: usize = 512;

struct Pool {
    bytes: [u8; BLOCK],
    next: usize,
    pid: u32,
}

thread_local! {
    static POOL: RefCell<Pool> = const { RefCell::new(Pool { bytes: [0; BLOCK], next: BLOCK, pid: 0 }) };
}

/// Fills `out` (at most 512 bytes) with fresh random bytes from the operating system.
pub(crate) fn fill(out: &mut [u8]) -> Result<(), getrandom::Error> {
    if out.len() > BLOCK {
        return getrandom::fill(out);
    }
    POOL.with_borrow_mut(|pool| {
        let pid = std::process::id();
        if pool.next + out.len() > BLOCK || pool.pid != pid {
            getrandom::fill(&mut pool.bytes)?;
            pool.next = 0;
            pool.pid = pid;
        }
        let taken = &mut pool.bytes[pool.next..pool.next + out.len()];
        out.copy_from_slice(taken);
        taken.fill(0);
        pool.next += out.len();
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    #[test]
    fn never_hands_out_the_same_bytes_twice() {
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            let mut out = [0u8; 16];
            super::fill(&mut out).expect("os randomness");
            assert!(seen.insert(out), "a 128-bit value repeated");
        }
    }

    #[test]
    fn large_requests_bypass_the_block() {
        let mut out = [0u8; 600];
        super::fill(&mut out).expect("os randomness");
        assert!(out.iter().any(|b| *b != 0));
    }
}
