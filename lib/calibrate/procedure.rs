//! The measurement of a calibration: warm-up, the zero point, the load points, the fit.
//!
//! Every point is measured the same way: set the load (or ask the technician to connect it),
//! set the relay, wait for the circuit to settle, then average `samples` readings of the
//! meter, and of the reference meter at the same `at` when there is one.

use std::time::Duration;

use super::CalibrationError;
use super::certificate::CertifiedPoint;
use crate::meter::clock::Clock;
use crate::meter::health::is_transient;
use crate::meter::{Correction, round_to};
use crate::meter::{Load, Meter, MeterError, Sample, Switch};
use crate::wire::CalibrationRecord;

/// How many times in a row a read may fail transiently before the calibration gives up.
const READ_ATTEMPTS: u32 = 3;

/// What to measure and how to judge it.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The accuracy class, %: a load point passes within ±class % of the reference.
    pub class: f64,
    /// The zero point passes within ±this many amps.
    pub zero_limit_amps: f64,
    /// The load points' currents, A (two or more, each > 0).
    pub loads: Vec<f64>,
    /// The reference values are the load currents themselves (`--expect`), not a reference
    /// meter's readings.
    pub expected: bool,
    /// Readings taken and discarded before the first point.
    pub warmup: Duration,
    /// Wait after changing the load or the relay.
    pub settle: Duration,
    /// Between two readings.
    pub interval: Duration,
    /// Readings averaged per point.
    pub samples: u32,
}

impl Plan {
    /// Checks the plan can be carried out and judged.
    pub fn validate(&self) -> Result<(), CalibrationError> {
        let usage = |text: String| Err(CalibrationError::Usage(text));
        if self.loads.len() < 2 {
            return usage(format!(
                "a calibration needs two or more load points besides the zero point (got {})",
                self.loads.len()
            ));
        }
        if let Some(bad) = self.loads.iter().find(|amps| !(**amps > 0.0 && amps.is_finite())) {
            return usage(format!("load point {bad} A: load points must be above 0 A"));
        }
        if !super::ACCURACY_CLASSES.contains(&self.class) {
            return usage(format!("accuracy class {}: {}", self.class, super::CLASSES_TEXT));
        }
        if !(self.zero_limit_amps > 0.0 && self.zero_limit_amps.is_finite()) {
            return usage(format!("zero limit {} A must be above 0", self.zero_limit_amps));
        }
        if self.samples == 0 {
            return usage("--samples must be at least 1".into());
        }
        Ok(())
    }
}

/// Someone who connects reference loads by hand, for devices without a programmable load.
pub trait Technician {
    /// Asks for load point `point` (`nominal_amps`) to be connected; returns once it is.
    fn connect_load(&mut self, point: u32, nominal_amps: f64) -> Result<(), CalibrationError>;
}

/// The bench: the meter under test, its relay, the load, the reference meter and the clock.
pub struct Rig {
    /// The meter under test.
    pub meter: Box<dyn Meter>,
    /// The relay in front of the load.
    pub switch: Box<dyn Switch>,
    /// A programmable load, when the bench has one (the simulator does).
    pub load: Option<Box<dyn Load>>,
    /// The reference meter, unless the reference values are known (`--expect`).
    pub reference: Option<Box<dyn Meter>>,
    /// The session clock.
    pub clock: Clock,
}

/// One measured point.
#[derive(Debug, Clone, PartialEq)]
pub struct PointResult {
    /// 0 for the zero point.
    pub point: u32,
    /// The current the point was meant to draw, A (0 for the zero point).
    pub nominal_amps: f64,
    /// The reference value, A.
    pub reference_amps: f64,
    /// The meter's mean current, A.
    pub measured_amps: f64,
    /// The meter's mean voltage, V.
    pub measured_volts: f64,
    /// The relative error, % (load points with a non-zero reference).
    pub error_pct: Option<f64>,
    /// The limit: ±class % for load points.
    pub limit_pct: Option<f64>,
    /// The limit: ±A for the zero point.
    pub limit_amps: Option<f64>,
    /// Within the limit.
    pub pass: bool,
    /// Readings averaged.
    pub samples: u32,
}

impl PointResult {
    fn judge(point: u32, nominal: f64, reference: f64, measured: f64, volts: f64, plan: &Plan) -> Self {
        let error = measured - reference;
        let (error_pct, limit_pct, limit_amps, pass) = if point == 0 {
            (None, None, Some(plan.zero_limit_amps), error.abs() <= plan.zero_limit_amps)
        } else if reference.abs() < 1e-9 {
            // The reference saw no current at a load point: the load is not connected.
            (None, Some(plan.class), None, false)
        } else {
            let pct = error / reference * 100.0;
            (Some(pct), Some(plan.class), None, pct.abs() <= plan.class)
        };
        PointResult {
            point,
            nominal_amps: nominal,
            reference_amps: reference,
            measured_amps: measured,
            measured_volts: volts,
            error_pct,
            limit_pct,
            limit_amps,
            pass,
            samples: plan.samples,
        }
    }

    /// Whether this is the zero point.
    pub fn is_zero(&self) -> bool {
        self.point == 0
    }

    /// measured − reference, A.
    pub fn error_amps(&self) -> f64 {
        self.measured_amps - self.reference_amps
    }

    /// The point as a `calibration` record.
    pub fn record(&self, device: &str, class: f64) -> CalibrationRecord {
        CalibrationRecord {
            step: "point".into(),
            device: device.into(),
            point: self.point,
            load: if self.is_zero() { "zero" } else { "load" }.into(),
            nominal_amps: round_to(self.nominal_amps, 6),
            reference_amps: round_to(self.reference_amps, 6),
            measured_amps: round_to(self.measured_amps, 6),
            error_amps: round_to(self.error_amps(), 6),
            error_pct: self.error_pct.map(|p| round_to(p, 4)),
            limit_pct: self.limit_pct,
            limit_amps: self.limit_amps,
            pass: self.pass,
            class,
            samples: self.samples,
        }
    }

    /// The point as the certificate records it (rounded so it survives JSON exactly).
    pub fn certified(&self) -> CertifiedPoint {
        CertifiedPoint {
            point: self.point,
            load: if self.is_zero() { "zero" } else { "load" }.into(),
            nominal_amps: round_to(self.nominal_amps, 6),
            reference_amps: round_to(self.reference_amps, 6),
            measured_amps: round_to(self.measured_amps, 6),
            measured_volts: round_to(self.measured_volts, 4),
            error_amps: round_to(self.error_amps(), 6),
            error_pct: self.error_pct.map(|p| round_to(p, 4)),
        }
    }
}

/// A measured calibration run.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The zero point, then the load points.
    pub points: Vec<PointResult>,
    /// The least-squares correction reference ≈ gain × measured + offset.
    pub correction: Correction,
}

impl Run {
    /// Whether every point passed.
    pub fn pass(&self) -> bool {
        self.points.iter().all(|p| p.pass)
    }

    /// The indices of the points that failed.
    pub fn failed_points(&self) -> Vec<u32> {
        self.points.iter().filter(|p| !p.pass).map(|p| p.point).collect()
    }

    /// One reason per failed point.
    pub fn failure_reasons(&self) -> Vec<String> {
        self.points
            .iter()
            .filter(|p| !p.pass)
            .map(|p| match (p.error_pct, p.limit_pct, p.limit_amps) {
                (_, _, Some(limit)) => {
                    format!("zero point: {:.6} A with the relay open (limit ±{limit} A)", p.measured_amps)
                }
                (Some(pct), Some(limit), _) => format!(
                    "point {} ({} A): error {pct:+.3} % is beyond ±{limit} %",
                    p.point, p.nominal_amps
                ),
                _ => format!("point {} ({} A): the reference measured no current", p.point, p.nominal_amps),
            })
            .collect()
    }
}

/// Fits reference ≈ gain × measured + offset by least squares over `(measured, reference)`.
/// With fewer than two distinct measured values the gain is undetermined: 1, and the
/// offset is the mean difference.
pub fn fit(pairs: &[(f64, f64)]) -> Correction {
    if pairs.is_empty() {
        return Correction::IDENTITY;
    }
    let n = pairs.len() as f64;
    let mean_x = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pairs.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let sxy: f64 = pairs.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let gain = if sxx > 1e-12 { sxy / sxx } else { 1.0 };
    let offset = mean_y - gain * mean_x;
    Correction { gain: round_to(gain, 8), offset_amps: round_to(offset, 6) }
}

fn read_retrying(meter: &mut dyn Meter, at: Duration) -> Result<Sample, MeterError> {
    let mut attempt = 1;
    loop {
        match meter.read(at) {
            Ok(sample) => return Ok(sample),
            Err(error) if is_transient(&error) && attempt < READ_ATTEMPTS => {
                log::warn!("{}: {error}; retrying", meter.info().uri);
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

const NEVER_STOP: &dyn Fn() -> bool = &|| false;

/// Averages `samples` readings of the meter (and of the reference meter at the same times):
/// `(meter amps, meter volts, reference amps)`.
fn average(rig: &mut Rig, plan: &Plan) -> Result<(f64, f64, Option<f64>), MeterError> {
    let (mut amps, mut volts, mut reference) = (0.0, 0.0, 0.0);
    for k in 0..plan.samples {
        if k > 0 {
            rig.clock.wait_for(plan.interval, NEVER_STOP);
        }
        let at = rig.clock.elapsed();
        let sample = read_retrying(rig.meter.as_mut(), at)?;
        amps += sample.amps;
        volts += sample.volts;
        if let Some(meter) = rig.reference.as_mut() {
            reference += read_retrying(meter.as_mut(), at)?.amps;
        }
    }
    let n = plan.samples as f64;
    Ok((amps / n, volts / n, rig.reference.is_some().then_some(reference / n)))
}

/// Runs the plan on the rig: warm-up readings, the zero point with the relay open, then each
/// load point with the relay closed. The relay is put back as it was found.
pub fn measure(rig: &mut Rig, plan: &Plan, technician: &mut dyn Technician) -> Result<Run, CalibrationError> {
    plan.validate()?;
    if rig.reference.is_none() && !plan.expected {
        return Err(CalibrationError::Usage("a reference meter or the expected currents are needed".into()));
    }
    let was_closed = rig.switch.is_closed()?;
    let result = measure_points(rig, plan, technician);
    let restored = rig.switch.set_closed(was_closed);
    let points = result?;
    restored?;
    let pairs: Vec<(f64, f64)> = points.iter().map(|p| (p.measured_amps, p.reference_amps)).collect();
    Ok(Run { correction: fit(&pairs), points })
}

fn measure_points(
    rig: &mut Rig,
    plan: &Plan,
    technician: &mut dyn Technician,
) -> Result<Vec<PointResult>, CalibrationError> {
    let warmup_end = rig.clock.elapsed() + plan.warmup;
    while rig.clock.elapsed() < warmup_end {
        let at = rig.clock.elapsed();
        read_retrying(rig.meter.as_mut(), at)?;
        if let Some(meter) = rig.reference.as_mut() {
            read_retrying(meter.as_mut(), at)?;
        }
        let step = plan.interval.max(Duration::from_millis(1));
        rig.clock.wait_for(step.min(warmup_end - at), NEVER_STOP);
    }

    let mut points = Vec::with_capacity(plan.loads.len() + 1);
    rig.switch.set_closed(false)?;
    rig.clock.wait_for(plan.settle, NEVER_STOP);
    let (amps, volts, reference) = average(rig, plan)?;
    points.push(PointResult::judge(0, 0.0, reference.unwrap_or(0.0), amps, volts, plan));
    log::info!("zero point: {amps:.6} A with the relay open");

    for (index, &nominal) in plan.loads.iter().enumerate() {
        let point = index as u32 + 1;
        match rig.load.as_mut() {
            Some(load) => load.set_amps(nominal)?,
            None => technician.connect_load(point, nominal)?,
        }
        rig.switch.set_closed(true)?;
        rig.clock.wait_for(plan.settle, NEVER_STOP);
        let (amps, volts, reference) = average(rig, plan)?;
        let reference = if plan.expected { nominal } else { reference.unwrap_or(0.0) };
        let result = PointResult::judge(point, nominal, reference, amps, volts, plan);
        log::info!(
            "point {point}: reference {reference:.6} A, measured {amps:.6} A ({})",
            if result.pass { "pass" } else { "FAIL" }
        );
        points.push(result);
    }
    Ok(points)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    pub(crate) use crate::meter::bench::{Bench, BenchMeter, BenchSwitch};

    pub(crate) struct BenchLoad(pub Arc<Mutex<Bench>>);

    impl Load for BenchLoad {
        fn set_amps(&mut self, amps: f64) -> Result<(), MeterError> {
            self.0.lock().unwrap().load_amps = amps;
            Ok(())
        }
    }

    /// Nobody at the bench: the tests with a programmable load never ask.
    pub(crate) struct NoTechnician;

    impl Technician for NoTechnician {
        fn connect_load(&mut self, _: u32, _: f64) -> Result<(), CalibrationError> {
            Err(CalibrationError::NoTechnician("nobody here".into()))
        }
    }

    pub(crate) fn plan() -> Plan {
        Plan {
            class: 1.0,
            zero_limit_amps: 0.01,
            loads: vec![1.0, 2.0, 5.0],
            expected: true,
            warmup: Duration::from_secs(3),
            settle: Duration::from_secs(1),
            interval: Duration::from_secs(1),
            samples: 4,
        }
    }

    pub(crate) fn bench_rig(gain: f64, with_load: bool) -> (Rig, Arc<Mutex<Bench>>) {
        let bench = Arc::new(Mutex::new(Bench { closed: true, ..Bench::default() }));
        let rig = Rig {
            meter: Box::new(BenchMeter::new(&bench, gain)),
            switch: Box::new(BenchSwitch(bench.clone())),
            load: with_load.then(|| Box::new(BenchLoad(bench.clone())) as Box<dyn Load>),
            reference: None,
            clock: Clock::virtual_clock(),
        };
        (rig, bench)
    }

    #[test]
    fn a_good_meter_passes_every_point_and_the_relay_is_restored() {
        let (mut rig, bench) = bench_rig(1.002, true);
        let run = measure(&mut rig, &plan(), &mut NoTechnician).unwrap();
        assert_eq!(run.points.len(), 4);
        assert!(run.pass(), "{:?}", run.failure_reasons());
        assert!(run.points[0].is_zero() && run.points[0].limit_amps == Some(0.01));
        let two_amps = &run.points[2];
        assert_eq!(two_amps.reference_amps, 2.0);
        assert!((two_amps.error_pct.unwrap() - 0.2).abs() < 0.01, "{two_amps:?}");
        // reference = gain × measured: the fit undoes the meter's 0.2 % gain error.
        assert!((run.correction.gain - 1.0 / 1.002).abs() < 1e-4, "{:?}", run.correction);
        assert!(run.correction.offset_amps.abs() < 1e-3);
        // Warm-up (3 s) + settle and 4 samples for each of the 4 points, on the virtual clock.
        assert_eq!(rig.clock.elapsed(), Duration::from_secs(3 + 4 * (1 + 3)));
        assert!(bench.lock().unwrap().closed, "the relay is closed again, as it was found");
    }

    #[test]
    fn a_drifted_meter_fails_at_class_1_and_passes_at_class_2() {
        let (mut rig, _) = bench_rig(1.03, true);
        let run = measure(&mut rig, &plan(), &mut NoTechnician).unwrap();
        assert!(!run.pass());
        assert_eq!(run.failed_points(), vec![1, 2, 3]);
        assert!(run.failure_reasons()[0].contains("beyond ±1 %"), "{:?}", run.failure_reasons());
        let (mut rig, _) = bench_rig(1.015, true);
        let run = measure(&mut rig, &Plan { class: 2.0, ..plan() }, &mut NoTechnician).unwrap();
        assert!(run.pass());
    }

    #[test]
    fn without_a_programmable_load_the_technician_connects_each_load() {
        struct Scripted(Arc<Mutex<Bench>>, Vec<(u32, f64)>);
        impl Technician for Scripted {
            fn connect_load(&mut self, point: u32, amps: f64) -> Result<(), CalibrationError> {
                self.1.push((point, amps));
                self.0.lock().unwrap().load_amps = amps;
                Ok(())
            }
        }
        let (mut rig, bench) = bench_rig(1.0, false);
        let mut technician = Scripted(bench, Vec::new());
        let run = measure(&mut rig, &plan(), &mut technician).unwrap();
        assert!(run.pass());
        assert_eq!(technician.1, vec![(1, 1.0), (2, 2.0), (3, 5.0)]);
        let (mut rig, _) = bench_rig(1.0, false);
        let error = measure(&mut rig, &plan(), &mut NoTechnician).unwrap_err();
        assert!(matches!(error, CalibrationError::NoTechnician(_)));
    }

    #[test]
    fn a_reference_meter_gives_the_reference_values() {
        let (mut rig, bench) = bench_rig(1.0, true);
        // The reference reads 0.5 % high: against it the meter is 0.5 % low.
        rig.reference = Some(Box::new(BenchMeter::new(&bench, 1.005)));
        let run = measure(&mut rig, &Plan { expected: false, ..plan() }, &mut NoTechnician).unwrap();
        let point = &run.points[3];
        assert!((point.reference_amps - 5.025).abs() < 1e-3, "{point:?}");
        assert!((point.error_pct.unwrap() + 0.4975).abs() < 0.01, "{point:?}");
    }

    #[test]
    fn plans_that_cannot_be_judged_are_refused() {
        for (bad, needle) in [
            (Plan { loads: vec![2.0], ..plan() }, "two or more"),
            (Plan { loads: vec![0.0, 2.0], ..plan() }, "above 0 A"),
            (Plan { class: 0.0, ..plan() }, "class"),
            (Plan { class: 5.0, ..plan() }, "0.1, 0.2, 0.5, 1, 2, 3"),
            (Plan { class: 1e308, ..plan() }, "0.1, 0.2, 0.5, 1, 2, 3"),
            (Plan { samples: 0, ..plan() }, "--samples"),
        ] {
            let error = bad.validate().unwrap_err().to_string();
            assert!(error.contains(needle), "{error}");
        }
    }

    #[test]
    fn least_squares_recovers_a_line() {
        let pairs: Vec<(f64, f64)> = [0.0, 1.0, 2.0, 5.0].iter().map(|x| (*x, 0.98 * x + 0.003)).collect();
        let fitted = fit(&pairs);
        assert!((fitted.gain - 0.98).abs() < 1e-8, "{fitted:?}");
        assert!((fitted.offset_amps - 0.003).abs() < 1e-6, "{fitted:?}");
        assert_eq!(fit(&[(1.0, 1.1), (1.0, 1.1)]), Correction { gain: 1.0, offset_amps: 0.1 });
        assert_eq!(fit(&[]), Correction::IDENTITY);
    }

    #[test]
    fn a_load_point_where_the_reference_sees_nothing_fails() {
        let point = PointResult::judge(1, 2.0, 0.0, 2.0, 12.8, &plan());
        assert!(!point.pass && point.error_pct.is_none());
        let run = Run { points: vec![point], correction: Correction::IDENTITY };
        assert!(run.failure_reasons()[0].contains("measured no current"));
    }
}
