//! One-dimensional repair search for bin packing: `k` bins that may overflow, and a pair of bins
//! at a time repartitioned exactly until no bin overflows.
//!
//! Bin completion ([`super::completion`]) builds bins one after the other and learns that an
//! early exactly-full bin was the wrong one only deep in its tree. On instances whose optimum
//! leaves no waste at all (Falkenauer's triplets) that is fatal. This search works on a complete
//! but infeasible packing instead: the items of the surplus bins go where they overflow least,
//! then an overflowing bin and a partner are repacked by enumerating every split of their items
//! (the exact two-bin subproblem), keeping the split with the least total overflow, ties by the
//! most concentrated loads (a full bin and a looser one absorb surplus best). Equal-overflow
//! moves are accepted, so the walk drifts across plateaus; partners are drawn from a seeded
//! generator, so the result is reproducible. The idea is the pairwise repacking of the
//! consistent neighbourhood search of Buljubašić and Vasquez ("Consistent neighborhood search
//! for one-dimensional bin packing and two-dimensional vector packing", Computers & Operations
//! Research 76, 2016) and of the weight-annealing of Loh, Golden and Wasil (Computers &
//! Operations Research 35(7), 2008), without their tabu lists.

use crate::model::SplitMix64;
use std::time::Instant;

/// Most items of a bin pair whose splits are enumerated (2^(n-1) splits).
const MAX_PAIR_ITEMS: usize = 12;

/// Splits (or three-bin assignments) evaluated per step of the budget: the step count bounds
/// the work, whatever the number of items per bin.
const WORK_PER_STEP: u64 = 8_192;

/// Packs the items of `start` (a valid packing of `sizes` into bins of `capacity`) into `k`
/// bins, or gives up after `steps` steps or at `deadline`.
///
/// Returns the `k` bins (item indices; empty bins dropped) when no bin overflows, else `None`.
/// The work is bounded by `steps * WORK_PER_STEP` split evaluations (a step scans every partner
/// of one bin), whatever the number of items per bin.
pub(crate) fn pack_into(
    sizes: &[u64],
    capacity: u64,
    start: &[Vec<usize>],
    k: usize,
    steps: u64,
    seed: u64,
    deadline: Option<Instant>,
) -> Option<Vec<Vec<usize>>> {
    if k == 0 || k >= start.len() {
        return None;
    }
    let load_of = |bin: &[usize]| {
        bin.iter()
            .map(|&i| sizes.get(i).copied().unwrap_or(0))
            .sum::<u64>()
    };
    // The k fullest bins stay; ties by the lower index.
    let mut order: Vec<usize> = (0..start.len()).collect();
    order.sort_by_key(|&b| (std::cmp::Reverse(load_of(&start[b])), b));
    let mut bins: Vec<Vec<usize>> = order[..k].iter().map(|&b| start[b].clone()).collect();
    let mut loads: Vec<u64> = bins.iter().map(|b| load_of(b)).collect();
    let mut rest: Vec<usize> = order[k..]
        .iter()
        .flat_map(|&b| start[b].iter().copied())
        .collect();
    rest.sort_by_key(|&i| (std::cmp::Reverse(sizes.get(i).copied().unwrap_or(0)), i));
    for i in rest {
        let s = sizes.get(i).copied().unwrap_or(0);
        // Least added overflow, then the tightest fit, then the lowest bin.
        let b = (0..k)
            .min_by_key(|&b| {
                let after = loads[b].saturating_add(s);
                let added = after.saturating_sub(capacity) - loads[b].saturating_sub(capacity);
                (added, capacity.saturating_sub(after), b)
            })
            .unwrap_or(0);
        bins[b].push(i);
        loads[b] = loads[b].saturating_add(s);
    }
    let over = |l: u64| l.saturating_sub(capacity);
    let mut rng = SplitMix64(seed ^ 0x5eed_b1b0);
    let mut sums: Vec<u64> = Vec::new();
    let mut pair: Vec<usize> = Vec::new();
    let mut overflowing: Vec<usize> = Vec::new();
    let mut work = steps.saturating_mul(WORK_PER_STEP);
    for _ in 0..steps {
        overflowing.clear();
        overflowing.extend((0..k).filter(|&b| loads[b] > capacity));
        if overflowing.is_empty() {
            bins.retain(|b| !b.is_empty());
            return Some(bins);
        }
        if work == 0 || deadline.is_some_and(|d| Instant::now() >= d) {
            return None;
        }
        let a = overflowing[rng.below(overflowing.len())];
        // First, the partner whose best split lowers the pair's overflow most (scanning from a
        // random offset, first found on ties); failing that, a random partner and a random
        // split among those that keep the pair's overflow (a sideways move).
        let mut improving: Option<(u64, usize, u32)> = None;
        let offset = rng.below(k);
        for j in 0..k {
            let b = (offset + j) % k;
            if b == a || bins[a].len() + bins[b].len() > MAX_PAIR_ITEMS {
                continue;
            }
            let now = over(loads[a]).saturating_add(over(loads[b]));
            if let Some((o, mask)) = best_split(
                sizes, capacity, &bins[a], &bins[b], &mut sums, &mut pair, &mut work, None,
            ) && o < now
                && improving.is_none_or(|(x, _, _)| o < x)
            {
                improving = Some((o, b, mask));
            }
        }
        let (b, mask) = match improving {
            Some((_, b, mask)) => (b, mask),
            None if k >= 3 && rng.next() % 2 == 0 => {
                // No pair helps: repartition three bins at once (what a pair cannot fix, e.g.
                // one bin over by 2 and another under by 2 among exactly full ones).
                // A bin with room (there is one unless the items overflow k bins in total),
                // and any third bin.
                let roomy: Vec<usize> = (0..k).filter(|&b| loads[b] < capacity).collect();
                let b = match roomy.len() {
                    0 => (a + 1 + rng.below(k - 1)) % k,
                    r => roomy[rng.below(r)],
                };
                let mut c = rng.below(k);
                while c == a || c == b {
                    c = (c + 1) % k;
                }
                if let Some(groups) = three_way(
                    sizes,
                    capacity,
                    [&bins[a], &bins[b], &bins[c]],
                    &mut work,
                    &mut rng,
                ) {
                    for (bin, group) in [a, b, c].into_iter().zip(groups) {
                        loads[bin] = load_of(&group);
                        bins[bin] = group;
                    }
                }
                continue;
            }
            None => {
                let mut b = rng.below(k - 1);
                if b >= a {
                    b += 1;
                }
                if bins[a].len() + bins[b].len() > MAX_PAIR_ITEMS {
                    continue;
                }
                let now = over(loads[a]).saturating_add(over(loads[b]));
                match best_split(
                    sizes,
                    capacity,
                    &bins[a],
                    &bins[b],
                    &mut sums,
                    &mut pair,
                    &mut work,
                    Some((now, &mut rng)),
                ) {
                    Some((_, mask)) => (b, mask),
                    None => continue,
                }
            }
        };
        pair.clear();
        pair.extend(bins[a].iter().chain(&bins[b]).copied());
        let (mut first, mut second) = (vec![pair[0]], Vec::new());
        for (j, &i) in pair.iter().enumerate().skip(1) {
            if mask >> (j - 1) & 1 == 1 {
                first.push(i);
            } else {
                second.push(i);
            }
        }
        loads[a] = load_of(&first);
        loads[b] = load_of(&second);
        bins[a] = first;
        bins[b] = second;
    }
    None
}

/// The split of the items of bins `a` and `b` with the least total overflow (item 0 of `a`
/// always in the first bin), as `(overflow, mask)`: bit `j` of the mask puts item `j + 1` of
/// `a` then `b` in the first bin. With `random = Some((level, rng))`, a uniformly random split
/// among those whose overflow is at most `level` instead (`None` when there is none).
#[allow(clippy::too_many_arguments)] // scratch buffers and the work counter are the caller's
fn best_split(
    sizes: &[u64],
    capacity: u64,
    a: &[usize],
    b: &[usize],
    sums: &mut Vec<u64>,
    pair: &mut Vec<usize>,
    work: &mut u64,
    mut random: Option<(u64, &mut SplitMix64)>,
) -> Option<(u64, u32)> {
    pair.clear();
    pair.extend(a.iter().chain(b).copied());
    let m = pair.len();
    if m == 0 || m > MAX_PAIR_ITEMS {
        return None;
    }
    *work = work.saturating_sub(1 << (m - 1));
    let size = |i: usize| sizes.get(i).copied().unwrap_or(0);
    let total = pair
        .iter()
        .map(|&i| size(i))
        .fold(0u64, u64::saturating_add);
    let over = |l: u64| l.saturating_sub(capacity);
    let half = 1usize << (m - 1);
    sums.clear();
    sums.resize(half, 0);
    let s0 = size(pair[0]);
    let mut best: Option<(u64, u32)> = None;
    let mut seen = 0u64;
    for mask in 0..half {
        let sum = if mask == 0 {
            0
        } else {
            let low = mask.trailing_zeros() as usize;
            sums[mask & (mask - 1)].saturating_add(size(pair[low + 1]))
        };
        sums[mask] = sum;
        let first = sum.saturating_add(s0);
        let o = over(first).saturating_add(over(total.saturating_sub(first)));
        match random.as_mut() {
            None => {
                if best.is_none_or(|(x, _)| o < x) {
                    best = Some((o, mask as u32));
                }
            }
            Some((level, rng)) => {
                if o <= *level {
                    // Reservoir sampling: each qualifying split with probability 1/seen.
                    seen += 1;
                    if rng.next() % seen == 0 {
                        best = Some((o, mask as u32));
                    }
                }
            }
        }
    }
    best
}

/// Most items of three bins whose assignments are enumerated (3^(n-1) of them).
const MAX_TRIPLE_ITEMS: usize = 10;

/// A repartition of the items of three bins with the least total overflow when it is below the
/// current one, else a uniformly random one among those that keep it; `None` when the bins hold
/// too many items. The first item always stays in the first bin (the bins are interchangeable
/// only up to that).
fn three_way(
    sizes: &[u64],
    capacity: u64,
    bins: [&[usize]; 3],
    work: &mut u64,
    rng: &mut SplitMix64,
) -> Option<[Vec<usize>; 3]> {
    let items: Vec<usize> = bins.iter().flat_map(|b| b.iter().copied()).collect();
    let m = items.len();
    if m == 0 || m > MAX_TRIPLE_ITEMS {
        return None;
    }
    *work = work.saturating_sub(3u64.pow(m as u32 - 1));
    let size = |i: usize| sizes.get(i).copied().unwrap_or(0);
    let over = |l: u64| l.saturating_sub(capacity);
    let now = bins
        .iter()
        .map(|b| over(b.iter().map(|&i| size(i)).fold(0u64, u64::saturating_add)))
        .fold(0u64, u64::saturating_add);
    let codes = 3u32.pow(m as u32 - 1);
    let mut best: Option<(u64, u32)> = None;
    let mut sideways: Option<u32> = None;
    let mut seen = 0u64;
    for code in 0..codes {
        let mut load = [size(items[0]), 0, 0];
        let mut c = code;
        for &i in &items[1..] {
            let g = (c % 3) as usize;
            c /= 3;
            load[g] = load[g].saturating_add(size(i));
        }
        let o = load
            .iter()
            .map(|&l| over(l))
            .fold(0u64, u64::saturating_add);
        if o < now && best.is_none_or(|(x, _)| o < x) {
            best = Some((o, code));
        }
        if o <= now {
            seen += 1;
            if rng.next() % seen == 0 {
                sideways = Some(code);
            }
        }
    }
    let code = best.map(|(_, code)| code).or(sideways)?;
    let mut groups: [Vec<usize>; 3] = [vec![items[0]], Vec::new(), Vec::new()];
    let mut c = code;
    for &i in &items[1..] {
        groups[(c % 3) as usize].push(i);
        c /= 3;
    }
    Some(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repacks_a_triplet_instance_that_first_fit_misses() {
        // Two exact triplets, {5, 3, 2} and {4, 4, 2}, split badly over three bins.
        let sizes = [5, 4, 4, 3, 2, 2];
        let start = vec![vec![0, 1], vec![2, 3, 4], vec![5]];
        let bins = pack_into(&sizes, 10, &start, 2, 1_000, 7, None).expect("two bins exist");
        assert_eq!(bins.len(), 2);
        let mut seen = [0; 6];
        for b in &bins {
            assert_eq!(b.iter().map(|&i| sizes[i]).sum::<u64>(), 10);
            for &i in b {
                seen[i] += 1;
            }
        }
        assert_eq!(seen, [1; 6]);
    }

    #[test]
    fn many_items_per_bin_stay_within_the_work_bound() {
        // 600 items of 11..=16 in bins of 100: six per bin, so every pair has 12 items (2,048
        // splits) and 300 partners per step; the work bound stops the search after a few steps.
        let sizes: Vec<u64> = (0..600).map(|i| 11 + (i * 7 % 6) as u64).collect();
        let start: Vec<Vec<usize>> = (0..100).map(|b| (6 * b..6 * b + 6).collect()).collect();
        if let Some(bins) = pack_into(&sizes, 100, &start, 99, 50, 3, None) {
            let mut seen = vec![0; sizes.len()];
            for b in &bins {
                assert!(b.iter().map(|&i| sizes[i]).sum::<u64>() <= 100);
                b.iter().for_each(|&i| seen[i] += 1);
            }
            assert!(seen.iter().all(|&c| c == 1));
        }
    }

    #[test]
    fn gives_up_when_the_target_is_impossible() {
        let sizes = [6, 6, 6];
        let start = vec![vec![0], vec![1], vec![2]];
        assert_eq!(pack_into(&sizes, 10, &start, 2, 500, 1, None), None);
    }
}
