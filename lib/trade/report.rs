//! Turning a meter's `reading` stream into delivery reports: the cumulative Wh delivered
//! since the trade started, never decreasing, capped at the trade's energy, reported every so
//! many seconds or Wh.

use std::time::{Duration, SystemTime};

use super::TradeError;
use crate::wire::ReadingRecord;

/// When to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reporting {
    /// When at least this much time (by the readings' clocks) passed since the last report.
    Every(Duration),
    /// When at least this many Wh were delivered since the last report.
    EveryWh(u64),
}

impl std::str::FromStr for Reporting {
    type Err = String;

    /// `10s`, `1m` (time) or `50Wh`, `1kWh` (energy).
    fn from_str(text: &str) -> Result<Self, String> {
        let lower = text.trim().to_ascii_lowercase();
        if lower.ends_with("wh") {
            let wh = crate::units::parse_energy_wh(text).map_err(|e| e.to_string())?;
            if wh == 0 {
                return Err("the energy step must be at least 1Wh".into());
            }
            return Ok(Reporting::EveryWh(wh));
        }
        humantime::parse_duration(text)
            .map(Reporting::Every)
            .map_err(|e| format!("{e} (write a time such as 10s or an energy such as 50Wh)"))
    }
}

/// One report to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportPlan {
    /// The cumulative Wh delivered since the trade started.
    pub cumulative_wh: u64,
    /// Whether this report reaches the trade's energy (the last one).
    pub last: bool,
}

/// Decides, reading by reading, when to report what.
///
/// ```
/// use evlock::trade::{ReportPlanner, Reporting};
/// # fn reading(mwh: u64, second: u64) -> evlock::wire::ReadingRecord {
/// #   serde_json::from_value(serde_json::json!({"device": "sim:a", "seq": second,
/// #     "time": format!("2026-11-24T10:00:{second:02}Z"), "volts": 12.0, "amps": 2.0, "watts": 24.0,
/// #     "energy_wh": mwh / 1000, "energy_mwh": mwh})).unwrap() }
/// let mut planner = ReportPlanner::new(100, Reporting::EveryWh(40));
/// assert_eq!(planner.observe(&reading(5_000, 0)).unwrap(), None); // the starting point
/// assert_eq!(planner.observe(&reading(30_000, 1)).unwrap(), None); // 25 Wh: not yet
/// assert_eq!(planner.observe(&reading(50_500, 2)).unwrap().unwrap().cumulative_wh, 45);
/// let last = planner.observe(&reading(200_000, 3)).unwrap().unwrap();
/// assert_eq!((last.cumulative_wh, last.last), (100, true)); // capped at the trade's energy
/// ```
#[derive(Debug, Clone)]
pub struct ReportPlanner {
    energy_wh: u64,
    reporting: Reporting,
    start_mwh: Option<u64>,
    last_total_mwh: Option<u64>,
    delivered_mwh: u64,
    reported_wh: u64,
    last_report_at: Option<SystemTime>,
    done: bool,
}

impl ReportPlanner {
    /// A planner for a trade of `energy_wh` that has reported nothing yet.
    pub fn new(energy_wh: u64, reporting: Reporting) -> Self {
        ReportPlanner {
            energy_wh,
            reporting,
            start_mwh: None,
            last_total_mwh: None,
            delivered_mwh: 0,
            reported_wh: 0,
            last_report_at: None,
            done: false,
        }
    }

    /// Counts delivery from the meter total `start_mwh` (the total when the trade began)
    /// instead of from the first reading.
    pub fn starting_at(mut self, start_mwh: u64) -> Self {
        self.set_start(start_mwh);
        self
    }

    /// Sets the meter total the trade started at (see [`ReportPlanner::starting_at`]); only
    /// readings taken after this count from it.
    pub fn set_start(&mut self, start_mwh: u64) {
        self.start_mwh = Some(start_mwh);
    }

    /// Continues after `reported_wh` were already reported (on chain, or in a journal):
    /// nothing at or below it is reported again.
    pub fn resuming(mut self, reported_wh: u64) -> Self {
        self.reported_wh = reported_wh;
        self.done = reported_wh >= self.energy_wh;
        self
    }

    /// The highest cumulative Wh planned so far.
    pub fn reported_wh(&self) -> u64 {
        self.reported_wh
    }

    /// The Wh delivered so far (not yet necessarily reported), capped at the trade's energy.
    pub fn delivered_wh(&self) -> u64 {
        (self.delivered_mwh / 1000).min(self.energy_wh)
    }

    /// Whether the trade's whole energy has been reported.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Takes one reading; returns the report to send now, if any.
    pub fn observe(&mut self, reading: &ReadingRecord) -> Result<Option<ReportPlan>, TradeError> {
        if self.done {
            return Ok(None);
        }
        let at = humantime::parse_rfc3339_weak(&reading.time).map_err(|e| {
            TradeError::BadReading(format!("reading {}: time {:?}: {e}", reading.seq, reading.time))
        })?;
        let total = reading.energy_mwh;
        match (self.last_total_mwh, self.start_mwh) {
            // With the trade's starting total, delivery is measured from it; without, a resumed
            // planner counts on from what was already reported.
            (None, Some(start)) => self.delivered_mwh = total.saturating_sub(start),
            (None, None) => self.delivered_mwh = self.reported_wh.saturating_mul(1000),
            (Some(previous), _) if total >= previous => self.delivered_mwh += total - previous,
            (Some(previous), _) => log::warn!(
                "reading {}: the meter total went down from {previous} mWh to {total} mWh; \
                 counting on from the new total (what was delivered stays delivered)",
                reading.seq
            ),
        }
        self.last_total_mwh = Some(total);
        if self.last_report_at.is_none() {
            self.last_report_at = Some(at);
        }
        let cumulative = self.delivered_wh();
        if cumulative <= self.reported_wh {
            return Ok(None);
        }
        let last = cumulative >= self.energy_wh;
        let due = last
            || match self.reporting {
                Reporting::EveryWh(step) => cumulative - self.reported_wh >= step,
                Reporting::Every(period) => self
                    .last_report_at
                    .and_then(|then| at.duration_since(then).ok())
                    .is_some_and(|elapsed| elapsed >= period),
            };
        if !due {
            return Ok(None);
        }
        Ok(Some(self.plan(cumulative, at)))
    }

    /// At the end of the readings: a last report of what was delivered but not yet reported.
    pub fn finish(&mut self) -> Option<ReportPlan> {
        let cumulative = self.delivered_wh();
        if self.done || cumulative <= self.reported_wh {
            return None;
        }
        let at = self.last_report_at.unwrap_or(SystemTime::UNIX_EPOCH);
        Some(self.plan(cumulative, at))
    }

    fn plan(&mut self, cumulative: u64, at: SystemTime) -> ReportPlan {
        self.reported_wh = cumulative;
        self.last_report_at = Some(at);
        self.done = cumulative >= self.energy_wh;
        ReportPlan { cumulative_wh: cumulative, last: self.done }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reading(seq: u64, second: u64, mwh: u64) -> ReadingRecord {
        serde_json::from_value(json!({"device": "sim:a", "seq": seq,
            "time": format!("2026-11-24T10:{:02}:{:02}.000Z", second / 60, second % 60),
            "volts": 12.0, "amps": 2.0, "watts": 24.0, "energy_wh": mwh / 1000, "energy_mwh": mwh}))
        .unwrap()
    }

    #[test]
    fn reports_by_time_never_decrease_and_stop_at_the_energy() {
        let mut planner = ReportPlanner::new(50, Reporting::Every(Duration::from_secs(10)));
        let mut reports = Vec::new();
        let mut total = 1_000_000;
        for second in 0..200 {
            total += if second == 30 { 0 } else { 400 }; // 0.4 Wh a second
            // A reset at 40 s: the total drops, delivery continues from there.
            if second == 40 {
                total = 0;
            }
            if let Some(plan) = planner.observe(&reading(second, second, total)).unwrap() {
                reports.push((second, plan.cumulative_wh, plan.last));
            }
        }
        assert!(reports.windows(2).all(|w| w[0].1 < w[1].1), "{reports:?}");
        assert!(reports.windows(2).all(|w| w[1].0 - w[0].0 >= 10 || w[1].2), "{reports:?}");
        assert_eq!(reports.last().unwrap().1, 50);
        assert!(reports.last().unwrap().2);
        assert_eq!(reports[0], (10, 4, false));
        assert!(planner.is_done());
        assert_eq!(planner.observe(&reading(999, 999, 9_999_999)).unwrap(), None);
        assert_eq!(planner.finish(), None);
    }

    #[test]
    fn reports_by_energy_and_finish_with_the_remainder() {
        let mut planner = ReportPlanner::new(1000, Reporting::EveryWh(100));
        let mut plans = Vec::new();
        for (i, mwh) in [0u64, 50_000, 120_000, 150_000, 260_000, 290_000].into_iter().enumerate() {
            plans.extend(planner.observe(&reading(i as u64, i as u64, mwh)).unwrap());
        }
        let reported: Vec<u64> = plans.iter().map(|p| p.cumulative_wh).collect();
        assert_eq!(reported, vec![120, 260]);
        assert_eq!(planner.finish(), Some(ReportPlan { cumulative_wh: 290, last: false }));
        assert_eq!(planner.finish(), None);
    }

    #[test]
    fn resuming_skips_what_was_reported_and_start_counts_from_the_trade() {
        let mut planner =
            ReportPlanner::new(500, Reporting::EveryWh(10)).starting_at(1_000_000).resuming(200);
        assert_eq!(
            planner.observe(&reading(0, 0, 1_150_000)).unwrap(),
            None,
            "150 Wh < 200 already reported"
        );
        let plan = planner.observe(&reading(1, 1, 1_215_000)).unwrap().unwrap();
        assert_eq!(plan.cumulative_wh, 215);
    }

    #[test]
    fn every_parses_time_or_energy() {
        assert_eq!("10s".parse::<Reporting>().unwrap(), Reporting::Every(Duration::from_secs(10)));
        assert_eq!("50Wh".parse::<Reporting>().unwrap(), Reporting::EveryWh(50));
        assert_eq!("1kWh".parse::<Reporting>().unwrap(), Reporting::EveryWh(1000));
        assert!("0Wh".parse::<Reporting>().is_err());
        assert!("soon".parse::<Reporting>().is_err());
    }
}
