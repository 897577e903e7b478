//! `jiceng bench …`: throughput figures for the issues' targets. They report numbers; they
//! are not tests.

use crate::service::locate::{GridShape, Snapshot};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

pub struct LocateFigures {
    pub grids: usize,
    pub lookups: u64,
    pub hits: u64,
    pub seconds: f64,
}

impl LocateFigures {
    pub fn per_second(&self) -> f64 {
        self.lookups as f64 / self.seconds
    }
}

/// `count` generated grids: a jittered lattice of about √count × √count cells.
pub fn generated_grids(count: usize) -> Vec<GridShape> {
    let side = (count as f64).sqrt().ceil() as usize;
    let cells = crate::demo::lattice(side, side, (110.0, 25.0), (0.002, 0.002), 7);
    cells
        .into_iter()
        .flatten()
        .take(count)
        .enumerate()
        .map(|(i, polygon)| GridShape {
            code: format!("G{i:06}"),
            name: format!("网格{i}"),
            village_code: "339901001001".into(),
            polygon,
        })
        .collect()
}

/// Looks up random points inside the grids' bounding box on one thread for `seconds`.
pub fn locate(grids: Vec<GridShape>, seconds: f64) -> LocateFigures {
    use geo::BoundingRect;
    let n = grids.len();
    let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for g in &grids {
        if let Some(r) = g.polygon.bounding_rect() {
            min_x = min_x.min(r.min().x);
            min_y = min_y.min(r.min().y);
            max_x = max_x.max(r.max().x);
            max_y = max_y.max(r.max().y);
        }
    }
    let snap = Snapshot::build(Vec::new(), grids);
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let points: Vec<(f64, f64)> = (0..1 << 16)
        .map(|_| {
            (
                rng.random_range(min_x..max_x),
                rng.random_range(min_y..max_y),
            )
        })
        .collect();
    let start = Instant::now();
    let (mut lookups, mut hits) = (0u64, 0u64);
    while start.elapsed().as_secs_f64() < seconds {
        for &(x, y) in &points {
            hits += u64::from(std::hint::black_box(snap.grid_at(x, y)).is_some());
        }
        lookups += points.len() as u64;
    }
    LocateFigures {
        grids: n,
        lookups,
        hits,
        seconds: start.elapsed().as_secs_f64(),
    }
}
