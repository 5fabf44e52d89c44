//! The session clock of a metering run: the `at` passed to [`super::Meter::read`] and the
//! time stamps of records.
//!
//! The wall clock sleeps to a fixed schedule (reading k is due at k × interval after the
//! start, so a slow read never shifts the readings after it). The virtual clock never
//! sleeps: it jumps to the due time, so the simulator and tests run 10,000 one-second
//! readings in an instant, with time stamps counted from a fixed start.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Where a virtual session's time stamps start: 2025-01-01T00:00:00Z.
pub const VIRTUAL_START_UNIX_SECS: u64 = 1_735_689_600;

/// How long the wall clock sleeps at most before looking at its stop flag again.
const SLEEP_SLICE: Duration = Duration::from_millis(50);

/// A session clock: real time, or virtual time that advances only when asked to.
#[derive(Debug, Clone)]
pub enum Clock {
    /// Real time since the session began.
    Wall {
        /// When the session began.
        start: Instant,
    },
    /// Virtual time: `now` since the fixed start.
    Virtual {
        /// The time since the session began.
        now: Duration,
    },
}

impl Clock {
    /// A wall clock starting now.
    pub fn wall() -> Self {
        Clock::Wall { start: Instant::now() }
    }

    /// A virtual clock at 0, stamping times from [`VIRTUAL_START_UNIX_SECS`].
    pub fn virtual_clock() -> Self {
        Clock::Virtual { now: Duration::ZERO }
    }

    /// Whether this is the virtual clock.
    pub fn is_virtual(&self) -> bool {
        matches!(self, Clock::Virtual { .. })
    }

    /// The time since the session began: the `at` of a reading taken now.
    pub fn elapsed(&self) -> Duration {
        match self {
            Clock::Wall { start } => start.elapsed(),
            Clock::Virtual { now } => *now,
        }
    }

    /// The wall time of a reading taken now (virtual: the fixed start plus the elapsed time).
    pub fn timestamp(&self) -> SystemTime {
        match self {
            Clock::Wall { .. } => SystemTime::now(),
            Clock::Virtual { now } => UNIX_EPOCH + Duration::from_secs(VIRTUAL_START_UNIX_SECS) + *now,
        }
    }

    /// The time stamp as RFC 3339 UTC with milliseconds, e.g. `2025-01-01T00:00:12.000Z`.
    pub fn rfc3339(&self) -> String {
        humantime::format_rfc3339_millis(self.timestamp()).to_string()
    }

    /// Waits until `due` (time since the start). The wall clock sleeps in short slices and
    /// gives up early, returning false, as soon as `stop()` says so; the virtual clock jumps.
    pub fn wait_until(&mut self, due: Duration, stop: &dyn Fn() -> bool) -> bool {
        match self {
            Clock::Virtual { now } => {
                *now = (*now).max(due);
                !stop()
            }
            Clock::Wall { start } => loop {
                if stop() {
                    return false;
                }
                let elapsed = start.elapsed();
                if elapsed >= due {
                    return true;
                }
                std::thread::sleep((due - elapsed).min(SLEEP_SLICE));
            },
        }
    }

    /// Waits for `span` from now (settling and warm-up times).
    pub fn wait_for(&mut self, span: Duration, stop: &dyn Fn() -> bool) -> bool {
        let due = self.elapsed() + span;
        self.wait_until(due, stop)
    }
}

/// A fixed schedule of readings every `interval` from the start of the session.
///
/// When a wall-clock session falls behind by a whole interval or more (a slow device), the
/// missed slots are skipped rather than read in a burst; the schedule itself never shifts.
#[derive(Debug, Clone)]
pub struct Schedule {
    interval: Duration,
    slot: u64,
}

impl Schedule {
    /// Readings every `interval`, the first at time 0.
    pub fn new(interval: Duration) -> Self {
        Schedule { interval, slot: 0 }
    }

    /// The due time of the next reading, skipping slots already more than an interval late.
    pub fn next_due(&mut self, clock: &Clock) -> Duration {
        let mut due = self.due(self.slot);
        if !clock.is_virtual() && !self.interval.is_zero() {
            let now = clock.elapsed();
            if now > due + self.interval {
                let behind = (now - due).as_nanos() / self.interval.as_nanos();
                self.slot += behind as u64;
                due = self.due(self.slot);
            }
        }
        self.slot += 1;
        due
    }

    fn due(&self, slot: u64) -> Duration {
        let nanos = self.interval.as_nanos().saturating_mul(slot as u128);
        Duration::from_nanos(nanos.min(u64::MAX as u128) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_jumps_and_stamps_from_the_fixed_start() {
        let mut clock = Clock::virtual_clock();
        assert_eq!(clock.rfc3339(), "2025-01-01T00:00:00.000Z");
        let mut schedule = Schedule::new(Duration::from_secs(1));
        for _ in 0..13 {
            let due = schedule.next_due(&clock);
            assert!(clock.wait_until(due, &|| false));
        }
        assert_eq!(clock.elapsed(), Duration::from_secs(12));
        assert_eq!(clock.rfc3339(), "2025-01-01T00:00:12.000Z");
        assert!(!clock.wait_for(Duration::from_secs(1), &|| true), "a stop request is honoured");
    }

    #[test]
    fn wall_clock_keeps_a_fixed_schedule() {
        let mut clock = Clock::wall();
        let mut schedule = Schedule::new(Duration::from_millis(20));
        let mut taken = Vec::new();
        for n in 0..5 {
            let due = schedule.next_due(&clock);
            assert!(clock.wait_until(due, &|| false));
            taken.push(clock.elapsed());
            if n == 1 {
                // A slow read: the following readings keep their slots.
                std::thread::sleep(Duration::from_millis(15));
            }
        }
        for (k, at) in taken.iter().enumerate() {
            assert!(*at >= Duration::from_millis(20 * k as u64), "reading {k} came early: {at:?}");
        }
    }

    #[test]
    fn a_late_wall_clock_skips_missed_slots() {
        let clock = Clock::Wall { start: Instant::now() - Duration::from_millis(1050) };
        let mut schedule = Schedule::new(Duration::from_millis(100));
        let due = schedule.next_due(&clock);
        assert_eq!(due, Duration::from_millis(1000), "the current slot, not slot 0");
        assert_eq!(schedule.next_due(&clock), Duration::from_millis(1100));
    }

    #[test]
    fn wall_clock_wait_stops_when_asked() {
        let mut clock = Clock::wall();
        let begun = Instant::now();
        assert!(!clock.wait_until(Duration::from_secs(30), &|| begun.elapsed() > Duration::from_millis(60)));
        assert!(begun.elapsed() < Duration::from_secs(5));
    }
}
