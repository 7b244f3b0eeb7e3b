//! A process-wide bound on the decompressed module bytes held at once by bulk readers
//! (depmod reads modules on every core).
//!
//! Each decompressed image holds a [`Grant`] of the bytes it has allocated, taken from
//! a shared budget ([`LIMIT`]) as the image grows, and returned when the image is
//! dropped. A reader that would go over the budget becomes the one *large* reader (it
//! may then grow up to the per-module cap) if no other reader is; otherwise it waits
//! until bytes are returned or the large reader is done. The large reader never waits,
//! and every reader holds one image at a time, so someone always makes progress: peak
//! memory stays near the budget plus the largest module, whatever the core count.

use std::sync::{Condvar, Mutex};

/// The shared budget: bytes of decompressed images held at once, beyond the one large
/// image. Real modules are far smaller (the largest Debian amd64 module, amdgpu, is
/// about 29 MiB decompressed), so readers of real trees rarely wait.
pub const LIMIT: u64 = 64 << 20;

struct State {
    held: u64,
    large_taken: bool,
}

static STATE: Mutex<State> = Mutex::new(State { held: 0, large_taken: false });
static RETURNED: Condvar = Condvar::new();

fn limit() -> u64 {
    #[cfg(feature = "testing")]
    if let Some(v) = std::env::var("RKMOD_TEST_DECOMPRESS_BUDGET").ok().and_then(|v| v.parse().ok()) {
        return v;
    }
    LIMIT
}

/// The bytes one image holds of the budget.
#[derive(Debug, Default)]
pub struct Grant {
    bytes: u64,
    large: bool,
}

impl Grant {
    /// Raise this image's share to `total` bytes, waiting if the budget is spent.
    pub fn grow(&mut self, total: u64) {
        let Some(more) = total.checked_sub(self.bytes).filter(|&m| m > 0) else {
            return;
        };
        let mut state = STATE.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if self.large || state.held + more <= limit() {
                break;
            }
            if !state.large_taken {
                state.large_taken = true;
                self.large = true;
                break;
            }
            state = RETURNED.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state.held += more;
        self.bytes = total;
    }
}

impl Drop for Grant {
    fn drop(&mut self) {
        if self.bytes == 0 && !self.large {
            return;
        }
        let mut state = STATE.lock().unwrap_or_else(|e| e.into_inner());
        state.held -= self.bytes;
        if self.large {
            state.large_taken = false;
        }
        RETURNED.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_over_the_budget_take_turns() {
        // Eight threads each grow an image past the budget in steps; all finish.
        let done: Vec<_> = (0..8)
            .map(|_| {
                std::thread::spawn(|| {
                    let mut g = Grant::default();
                    for step in 1..=16u64 {
                        g.grow(step * (LIMIT / 4));
                    }
                    g.bytes
                })
            })
            .collect();
        for t in done {
            assert_eq!(t.join().unwrap(), 4 * LIMIT);
        }
    }
}
