//! Grouping of a spectrum's channels into the GROUPING and QUALITY arrays of an OGIP PHA file
//! (OGIP/92-007: GROUPING 1 starts a group, −1 continues it; QUALITY 0 good, 2 "dubious, set by
//! software", 5 "bad, set by the user").
//!
//! * [`group_min_counts`]: as `grppha`'s `group min N` and `ftgrouppha grouptype=min`: channels
//!   are gathered from the first one until the group holds ≥ N counts. A last group that does
//!   not reach N is **kept as a group and flagged QUALITY = 2** (grppha's documented behaviour:
//!   "channels at the end that do not meet the minimum are set bad"), so fits ignore it and no
//!   counts move into the previous group.
//! * [`group_optimal`]: Kaastra & Bleeker (2016, A&A 587, A151, §5.3 and Appendix B), as
//!   `ftgrouppha grouptype=opt`: the optimal bin width δ relative to the instrument's FWHM at
//!   each channel is
//!
//!   δ/FWHM = 1 for x ≤ 2.119, else (0.08 + 7.0/x + 1.8/x²)/(1 + 5.9/x)      (eq. 36)
//!
//!   with x = ln[N_r (1 + 0.2 ln R)]                                          (eq. 37),
//!
//!   R the number of resolution elements of the spectrum, R = Σ_c ΔE_c/FWHM_c (eq. B1), and N_r
//!   the counts per resolution element around the channel: the counts of the channels within
//!   ±FWHM/2 of it times 1.314 (eqs. B2–B4: a FWHM holds 76.1 % of a Gaussian line). The FWHM
//!   of the response at energy E is the width of the channels where the RMF row of E is above
//!   half its maximum; the channels take the FWHM of their centre energy, interpolated
//!   linearly between the rows' centre energies (end values outside). A group is grown from its
//!   first channel while its width in channels stays below the smallest optimal width
//!   δ_c/ΔE_c (at least one channel) of the channels it holds, so no group is wider than the
//!   optimal width anywhere inside it.
//!
//! Both leave channels already flagged (input QUALITY ≠ 0) alone: they are never inside a
//! group (each is a group of its own, GROUPING 1, its QUALITY kept), and a group stops at them.

use super::data::Rmf;
use super::SpectralError;

/// GROUPING and QUALITY arrays, one value per channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grouping {
    /// 1 starts a group, −1 continues it.
    pub grouping: Vec<i32>,
    /// 0 good, otherwise ignored by fits (2: an incomplete last group; input flags kept).
    pub quality: Vec<i32>,
}

impl Grouping {
    /// The groups as (first channel index, number of channels).
    pub fn groups(&self) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = vec![];
        for (i, &g) in self.grouping.iter().enumerate() {
            match out.last_mut() {
                Some(last) if g == -1 => last.1 += 1,
                _ => out.push((i, 1)),
            }
        }
        out
    }
}

/// QUALITY for an incomplete last group of [`group_min_counts`].
pub const QUALITY_INCOMPLETE: i32 = 2;

fn check_inputs(counts: &[f64], quality: Option<&[i32]>) -> Result<Vec<i32>, SpectralError> {
    if let Some((i, c)) = counts
        .iter()
        .enumerate()
        .find(|(_, c)| !(c.is_finite() && **c >= 0.0))
    {
        return Err(SpectralError::param(format!(
            "grouping: channel index {i} has {c} counts: expected finite counts ≥ 0"
        )));
    }
    match quality {
        Some(q) if q.len() != counts.len() => Err(SpectralError::param(format!(
            "grouping: {} QUALITY values for {} channels: expected one per channel",
            q.len(),
            counts.len()
        ))),
        Some(q) => Ok(q.to_vec()),
        None => Ok(vec![0; counts.len()]),
    }
}

/// Group `counts` (per channel) into groups of at least `min` counts (module docs); `quality`
/// (default all 0) marks channels already bad. `min` must be ≥ 1.
pub fn group_min_counts(
    counts: &[f64],
    min: f64,
    quality: Option<&[i32]>,
) -> Result<Grouping, SpectralError> {
    if !(min.is_finite() && min >= 1.0) {
        return Err(SpectralError::param(format!(
            "minimum counts per group {min}: expected a number ≥ 1"
        )));
    }
    let mut q = check_inputs(counts, quality)?;
    let mut g = vec![1; counts.len()];
    // the open group: (first channel, counts so far)
    let mut open: Option<(usize, f64)> = None;
    for i in 0..counts.len() {
        if q[i] != 0 {
            if let Some((s, _)) = open.take() {
                flag_incomplete(&mut q, s, i);
            }
            continue;
        }
        let sum = match open {
            Some((s, c)) => {
                g[i] = -1;
                (s, c + counts[i])
            }
            None => (i, counts[i]),
        };
        open = if sum.1 >= min { None } else { Some(sum) };
    }
    if let Some((s, _)) = open {
        flag_incomplete(&mut q, s, counts.len());
    }
    Ok(Grouping {
        grouping: g,
        quality: q,
    })
}

fn flag_incomplete(q: &mut [i32], start: usize, end: usize) {
    q[start..end]
        .iter_mut()
        .for_each(|v| *v = QUALITY_INCOMPLETE);
}

/// The FWHM (keV) of the response at each channel's centre energy (module docs).
pub fn response_fwhm_kev(rmf: &Rmf) -> Vec<f64> {
    let (mut e_row, mut w_row) = (vec![], vec![]);
    for i in 0..rmf.n_energies() {
        let runs: Vec<(usize, &[f64])> = rmf.row(i).collect();
        let peak = runs
            .iter()
            .flat_map(|(_, v)| v.iter())
            .fold(0.0f64, |m, &v| m.max(v));
        if peak <= 0.0 {
            continue;
        }
        let (mut lo, mut hi) = (usize::MAX, 0usize);
        for (c0, v) in &runs {
            for (k, &x) in v.iter().enumerate() {
                if x > 0.5 * peak {
                    lo = lo.min(c0 + k);
                    hi = hi.max(c0 + k);
                }
            }
        }
        e_row.push(0.5 * (rmf.energ_lo[i] + rmf.energ_hi[i]));
        w_row.push(rmf.e_max[hi] - rmf.e_min[lo]);
    }
    (0..rmf.n_channels())
        .map(|c| interp(0.5 * (rmf.e_min[c] + rmf.e_max[c]), &e_row, &w_row))
        .collect()
}

/// Linear interpolation with end values outside (numpy.interp); NaN without points.
fn interp(x: f64, xs: &[f64], ys: &[f64]) -> f64 {
    match xs.len() {
        0 => f64::NAN,
        _ if x <= xs[0] => ys[0],
        n if x >= xs[n - 1] => ys[n - 1],
        _ => {
            let k = xs.partition_point(|&v| v <= x);
            let t = (x - xs[k - 1]) / (xs[k] - xs[k - 1]);
            ys[k - 1] + t * (ys[k] - ys[k - 1])
        }
    }
}

/// Kaastra & Bleeker (2016) eq. 36: the optimal bin width in units of the FWHM for
/// x = ln[N_r (1 + 0.2 ln R)] (eq. 37).
pub fn optimal_width_over_fwhm(x: f64) -> f64 {
    if x <= 2.119 || x.is_nan() {
        1.0
    } else {
        (0.08 + 7.0 / x + 1.8 / (x * x)) / (1.0 + 5.9 / x)
    }
}

/// The optimal width of each channel in channels (≥ 1; module docs), from the counts and the
/// FWHM (keV) per channel and the channel bounds. Bad channels get width 1.
pub fn optimal_widths(
    counts: &[f64],
    fwhm_kev: &[f64],
    e_min: &[f64],
    e_max: &[f64],
    quality: &[i32],
) -> Vec<usize> {
    let n = counts.len();
    let good = |c: usize| quality[c] == 0 && fwhm_kev[c] > 0.0;
    // eq. B1: resolution elements of the spectrum
    let r: f64 = (0..n)
        .filter(|&c| good(c))
        .map(|c| (e_max[c] - e_min[c]) / fwhm_kev[c])
        .sum();
    let boost = 1.0 + 0.2 * r.max(1.0).ln();
    let centre: Vec<f64> = (0..n).map(|c| 0.5 * (e_min[c] + e_max[c])).collect();
    // cumulative counts of good channels, for the window sums
    let mut cum = vec![0.0; n + 1];
    for c in 0..n {
        cum[c + 1] = cum[c] + if quality[c] == 0 { counts[c] } else { 0.0 };
    }
    (0..n)
        .map(|c| {
            if !good(c) {
                return 1;
            }
            let half = 0.5 * fwhm_kev[c];
            let a = centre.partition_point(|&e| e < centre[c] - half);
            let b = centre.partition_point(|&e| e <= centre[c] + half);
            let n_r = 1.314 * (cum[b] - cum[a]); // eqs. B2–B4
            let x = (n_r * boost).ln(); // eq. 37
            let delta = optimal_width_over_fwhm(x) * fwhm_kev[c]; // eq. 36
            ((delta / (e_max[c] - e_min[c]) + 1e-9).floor() as usize).max(1)
        })
        .collect()
}

/// Kaastra & Bleeker (2016) optimal grouping of `counts` (one per channel of `rmf`) through
/// the response `rmf` (module docs); `quality` (default all 0) marks channels already bad.
pub fn group_optimal(
    counts: &[f64],
    rmf: &Rmf,
    quality: Option<&[i32]>,
) -> Result<Grouping, SpectralError> {
    let q = check_inputs(counts, quality)?;
    if counts.len() != rmf.n_channels() {
        return Err(SpectralError::input(
            &rmf.name,
            format!(
                "optimal grouping of {} channels with a response of {} channels: expected the spectrum's channels",
                counts.len(),
                rmf.n_channels()
            ),
        ));
    }
    let fwhm = response_fwhm_kev(rmf);
    if fwhm.iter().all(|w| !(w.is_finite() && *w > 0.0)) {
        return Err(SpectralError::input(
            &rmf.name,
            "no energy row with a positive response: cannot measure the resolution",
        ));
    }
    let width = optimal_widths(counts, &fwhm, &rmf.e_min, &rmf.e_max, &q);
    Ok(Grouping {
        grouping: group_by_width(&width, &q),
        quality: q,
    })
}

/// GROUPING from per-channel widths: a group grows while its length is below the smallest
/// width of its channels; bad channels are groups of one.
fn group_by_width(width: &[usize], quality: &[i32]) -> Vec<i32> {
    let mut g = vec![1; width.len()];
    let mut open: Option<(usize, usize)> = None; // (length, smallest width)
    for i in 0..width.len() {
        if quality[i] != 0 {
            open = None;
            continue;
        }
        open = match open {
            Some((len, w)) if len < w.min(width[i]) => {
                g[i] = -1;
                Some((len + 1, w.min(width[i])))
            }
            _ => Some((1, width[i])),
        };
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_counts_by_hand() {
        let c = [3.0, 0.0, 2.0, 6.0, 1.0, 1.0, 4.0, 1.0];
        let g = group_min_counts(&c, 5.0, None).unwrap();
        // [3,0,2]=5 | [6] | [1,1,4]=6 | [1] incomplete
        assert_eq!(g.grouping, vec![1, -1, -1, 1, 1, -1, -1, 1]);
        assert_eq!(g.quality, vec![0, 0, 0, 0, 0, 0, 0, 2]);
        assert_eq!(g.groups(), vec![(0, 3), (3, 1), (4, 3), (7, 1)]);
        // every complete group holds ≥ min
        for (s, n) in g.groups() {
            let sum: f64 = c[s..s + n].iter().sum();
            assert!(sum >= 5.0 || g.quality[s] == 2);
        }
    }

    #[test]
    fn min_counts_stop_at_bad_channels_and_flag_the_open_group() {
        let c = [1.0, 1.0, 9.0, 5.0, 5.0];
        let q = [0, 0, 1, 0, 0];
        let g = group_min_counts(&c, 3.0, Some(&q)).unwrap();
        // [1,1] does not reach 3 before the bad channel: flagged 2; the bad channel keeps 1
        assert_eq!(g.grouping, vec![1, -1, 1, 1, 1]);
        assert_eq!(g.quality, vec![2, 2, 1, 0, 0]);
        assert!(group_min_counts(&c, 0.5, None).is_err());
        assert!(group_min_counts(&[1.0, f64::NAN], 2.0, None).is_err());
        assert!(group_min_counts(&c, 2.0, Some(&[0, 0])).is_err());
    }

    #[test]
    fn eq36_at_known_points() {
        assert_eq!(optimal_width_over_fwhm(2.0), 1.0);
        // x = 10: (0.08 + 0.7 + 0.018) / 1.59
        let want = (0.08 + 0.7 + 0.018) / 1.59;
        assert!((optimal_width_over_fwhm(10.0) - want).abs() < 1e-15);
        // large x → 0.08; continuous-ish at the threshold (≈ 1)
        assert!((optimal_width_over_fwhm(1e9) - 0.08).abs() < 1e-6);
        let at = optimal_width_over_fwhm(2.1191);
        assert!((at - 1.0).abs() < 0.01, "{at}");
    }

    /// A Gaussian-response RMF: `n` channels of `w` keV, FWHM `fwhm` keV everywhere.
    fn gauss_rmf(n: usize, w: f64, fwhm: f64) -> Rmf {
        let e_min: Vec<f64> = (0..n).map(|c| c as f64 * w).collect();
        let e_max: Vec<f64> = (0..n).map(|c| (c + 1) as f64 * w).collect();
        let s = fwhm / 2.3548;
        let rows = (0..n)
            .map(|i| {
                let e = (i as f64 + 0.5) * w;
                let v: Vec<f64> = (0..n)
                    .map(|c| {
                        let x = ((c as f64 + 0.5) * w - e) / s;
                        (-0.5 * x * x).exp()
                    })
                    .collect();
                vec![(0, v)]
            })
            .collect();
        Rmf::new("gauss", e_min.clone(), e_max.clone(), 0, e_min, e_max, rows).unwrap()
    }

    #[test]
    fn fwhm_of_a_gaussian_response() {
        // FWHM 0.1 keV on 0.01 keV channels: channels above half max span ≈ 0.1 keV (± 1 channel)
        let r = gauss_rmf(200, 0.01, 0.1);
        let f = response_fwhm_kev(&r);
        for &x in &f[20..180] {
            assert!((x - 0.1).abs() <= 0.0100001, "{x}");
        }
    }

    #[test]
    fn optimal_widths_by_hand() {
        // 100 channels of 0.01 keV, FWHM 0.1 keV everywhere, 10 counts per channel
        let n = 100;
        let counts = vec![10.0; n];
        let fwhm = vec![0.1; n];
        let e_min: Vec<f64> = (0..n).map(|c| c as f64 * 0.01).collect();
        let e_max: Vec<f64> = (0..n).map(|c| (c + 1) as f64 * 0.01).collect();
        let q = vec![0; n];
        let w = optimal_widths(&counts, &fwhm, &e_min, &e_max, &q);
        // R = 100 × 0.01/0.1 = 10; interior channel: window ±0.05 keV holds 11 channel centres
        // (c−5 … c+5) = 110 counts; N_r = 1.314 × 110
        let x = (1.314 * 110.0 * (1.0 + 0.2 * 10f64.ln())).ln();
        let delta = optimal_width_over_fwhm(x) * 0.1;
        let want = (delta / 0.01).floor() as usize;
        assert_eq!(w[50], want);
        // by hand: x = ln(144.54 × 1.4605) = 5.352, δ/FWHM = 1.4509/2.1024 = 0.690, δ = 0.069 keV
        assert_eq!(want, 6);
        // through a response: groups are at most the smallest width inside them, and cover all
        let rmf = gauss_rmf(n, 0.01, 0.1);
        let w = optimal_widths(&counts, &response_fwhm_kev(&rmf), &e_min, &e_max, &q);
        let g = group_optimal(&counts, &rmf, None).unwrap();
        let groups = g.groups();
        assert_eq!(groups.iter().map(|g| g.1).sum::<usize>(), n);
        for &(s, len) in &groups {
            assert!(w[s..s + len].iter().all(|&x| len <= x), "{groups:?}");
        }
        assert!(groups[3..groups.len() - 3].iter().all(|g| g.1 == w[50]));
    }

    #[test]
    fn few_counts_give_fwhm_wide_groups_and_many_counts_narrow_ones() {
        let n = 400;
        let rmf = gauss_rmf(n, 0.005, 0.1);
        let sparse = group_optimal(&vec![0.0; n], &rmf, None).unwrap();
        // the half-maximum channels of a 0.1 keV FWHM on 5 eV channels: 21 (0.105 keV)
        assert!((response_fwhm_kev(&rmf)[200] - 0.105).abs() < 1e-9);
        // x = ln 0 → δ = FWHM = 21 channels
        let mid = sparse.groups()[5];
        assert_eq!(mid.1, 21, "{mid:?}");
        // 1e4 counts per channel: N_r = 1.314 × 21e4, R = 400 × 0.005/0.105 = 19.05,
        // x = ln(2.7594e5 × 1.5894) = 12.99, δ/FWHM = 0.6296/1.4542 = 0.433, δ = 0.0455 keV → 9
        let rich = group_optimal(&vec![1e4; n], &rmf, None).unwrap();
        let mid = rich.groups()[20];
        assert_eq!(mid.1, 9, "{mid:?}");
        assert!(group_optimal(&[1.0; 3], &rmf, None).is_err());
    }
}
