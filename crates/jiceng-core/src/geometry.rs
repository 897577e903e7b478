//! Grid and region geometry (WGS-84 longitude/latitude) and the locate index.
//!
//! Grids are polygons; region boundaries are polygons or multipolygons. Input arrives as
//! GeoJSON and is checked here before anything is stored: rings closed, enough points,
//! coordinates in range, no self-intersection.

use geo::{
    Area, BooleanOps, BoundingRect, Contains, Coord, Intersects, LineString, MultiPolygon, Point,
    Polygon, Validation, algorithm::validation::InvalidPolygon,
};
use geojson::GeometryValue;
use rstar::{AABB, RTree, RTreeObject};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeometryError {
    #[error("几何类型必须是 Polygon（多边形），收到的是 {0}")]
    NotPolygon(String),
    #[error("几何类型必须是 Polygon 或 MultiPolygon，收到的是 {0}")]
    NotPolygonal(String),
    #[error("多边形没有外环")]
    Empty,
    #[error("第{ring}个环没有闭合（首尾坐标必须相同）")]
    UnclosedRing { ring: usize },
    #[error("第{ring}个环至少需要4个坐标点（含闭合点）")]
    TooFewPoints { ring: usize },
    #[error("坐标必须是 [经度, 纬度]，经度在 -180～180，纬度在 -90～90 之间")]
    BadCoordinate,
    #[error("多边形自相交")]
    SelfIntersecting,
    #[error("多边形的内环不在外环之内或与外环相交")]
    BadInteriorRing,
}

impl GeometryError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotPolygon(_) | Self::NotPolygonal(_) => "geometry.wrong_type",
            Self::Empty => "geometry.empty",
            Self::UnclosedRing { .. } => "geometry.unclosed_ring",
            Self::TooFewPoints { .. } => "geometry.too_few_points",
            Self::BadCoordinate => "geometry.bad_coordinate",
            Self::SelfIntersecting => "geometry.self_intersecting",
            Self::BadInteriorRing => "geometry.bad_interior_ring",
        }
    }
}

fn ring_from_positions(
    ring_no: usize,
    ring: &[geojson::Position],
) -> Result<LineString<f64>, GeometryError> {
    if ring.len() < 4 {
        return Err(GeometryError::TooFewPoints { ring: ring_no });
    }
    let mut coords = Vec::with_capacity(ring.len());
    for p in ring {
        let s = p.as_slice();
        if s.len() < 2 {
            return Err(GeometryError::BadCoordinate);
        }
        let (x, y) = (s[0], s[1]);
        if !x.is_finite()
            || !y.is_finite()
            || !(-180.0..=180.0).contains(&x)
            || !(-90.0..=90.0).contains(&y)
        {
            return Err(GeometryError::BadCoordinate);
        }
        coords.push(Coord { x, y });
    }
    if coords.first() != coords.last() {
        return Err(GeometryError::UnclosedRing { ring: ring_no });
    }
    Ok(LineString::new(coords))
}

fn polygon_from_rings(
    rings: &[Vec<geojson::Position>],
    first_ring_no: usize,
) -> Result<Polygon<f64>, GeometryError> {
    let Some((outer, inner)) = rings.split_first() else {
        return Err(GeometryError::Empty);
    };
    let exterior = ring_from_positions(first_ring_no, outer)?;
    let interiors = inner
        .iter()
        .enumerate()
        .map(|(i, r)| ring_from_positions(first_ring_no + i + 1, r))
        .collect::<Result<Vec<_>, _>>()?;
    let polygon = Polygon::new(exterior, interiors);
    if let Some(problem) = polygon.validation_errors().into_iter().next() {
        return Err(match problem {
            InvalidPolygon::TooFewPointsInRing(_) => GeometryError::TooFewPoints {
                ring: first_ring_no,
            },
            InvalidPolygon::NonFiniteCoord(..) => GeometryError::BadCoordinate,
            InvalidPolygon::SelfIntersection(_) => GeometryError::SelfIntersecting,
            _ => GeometryError::BadInteriorRing,
        });
    }
    Ok(polygon)
}

/// A grid's polygon from GeoJSON: exactly one valid Polygon.
pub fn grid_polygon(value: &GeometryValue) -> Result<Polygon<f64>, GeometryError> {
    match value {
        GeometryValue::Polygon { coordinates } => polygon_from_rings(coordinates, 1),
        other => Err(GeometryError::NotPolygon(other.type_name().to_string())),
    }
}

/// A region boundary from GeoJSON: a valid Polygon or MultiPolygon.
pub fn region_boundary(value: &GeometryValue) -> Result<MultiPolygon<f64>, GeometryError> {
    match value {
        GeometryValue::Polygon { coordinates } => {
            Ok(MultiPolygon(vec![polygon_from_rings(coordinates, 1)?]))
        }
        GeometryValue::MultiPolygon { coordinates } => {
            let mut ring_no = 1;
            let mut out = Vec::with_capacity(coordinates.len());
            for rings in coordinates {
                out.push(polygon_from_rings(rings, ring_no)?);
                ring_no += rings.len();
            }
            Ok(MultiPolygon(out))
        }
        other => Err(GeometryError::NotPolygonal(other.type_name().to_string())),
    }
}

/// GeoJSON geometry value of a polygon (rings written closed, as GeoJSON requires).
pub fn polygon_to_geojson(p: &Polygon<f64>) -> GeometryValue {
    let ring = |ls: &LineString<f64>| ls.0.iter().map(|c| vec![c.x, c.y]).collect::<Vec<_>>();
    let mut rings = vec![ring(p.exterior())];
    rings.extend(p.interiors().iter().map(ring));
    GeometryValue::new_polygon(rings)
}

pub fn multipolygon_to_geojson(mp: &MultiPolygon<f64>) -> GeometryValue {
    GeometryValue::new_multi_polygon(mp.0.iter().map(|p| match polygon_to_geojson(p) {
        GeometryValue::Polygon { coordinates } => coordinates,
        _ => unreachable!("polygon_to_geojson returns a Polygon"),
    }))
}

/// Area shared by two polygons, in square degrees. Grids that only touch share none.
pub fn overlap_area(a: &Polygon<f64>, b: &Polygon<f64>) -> f64 {
    a.intersection(b).unsigned_area()
}

/// Overlaps smaller than this (square degrees, about 1 m² at these latitudes) are the
/// rounding of the polygon clipper, not overlap.
pub const OVERLAP_TOLERANCE: f64 = 1e-10;

/// Part of `inner` that lies outside `outer`, in square degrees.
pub fn area_outside(inner: &Polygon<f64>, outer: &MultiPolygon<f64>) -> f64 {
    MultiPolygon(vec![inner.clone()])
        .difference(outer)
        .unsigned_area()
}

/// The union of polygons that tile an area, e.g. a village from its grids.
pub fn union_all(polys: &[Polygon<f64>]) -> MultiPolygon<f64> {
    geo::unary_union(polys.iter())
}

struct Entry {
    envelope: AABB<[f64; 2]>,
    index: usize,
}

impl RTreeObject for Entry {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// An R-tree over polygonal shapes answering "which shape holds this point".
///
/// A point on an edge shared by two shapes belongs to the one added first, so answers are
/// deterministic.
pub struct LocateIndex<T> {
    tree: RTree<Entry>,
    shapes: Vec<(MultiPolygon<f64>, T)>,
}

impl<T> Default for LocateIndex<T> {
    fn default() -> Self {
        Self {
            tree: RTree::new(),
            shapes: Vec::new(),
        }
    }
}

impl<T> LocateIndex<T> {
    pub fn new(items: Vec<(MultiPolygon<f64>, T)>) -> Self {
        let entries = items
            .iter()
            .enumerate()
            .filter_map(|(index, (shape, _))| {
                let r = shape.bounding_rect()?;
                Some(Entry {
                    envelope: AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    index,
                })
            })
            .collect();
        Self {
            tree: RTree::bulk_load(entries),
            shapes: items,
        }
    }

    pub fn len(&self) -> usize {
        self.shapes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }

    /// The shapes whose bounding boxes come within `radius` (degrees) of (lon, lat), in the
    /// order they were added.
    pub fn near(&self, lon: f64, lat: f64, radius: f64) -> Vec<(&MultiPolygon<f64>, &T)> {
        let envelope =
            AABB::from_corners([lon - radius, lat - radius], [lon + radius, lat + radius]);
        let mut found: Vec<usize> = self
            .tree
            .locate_in_envelope_intersecting(&envelope)
            .map(|e| e.index)
            .collect();
        found.sort_unstable();
        found
            .into_iter()
            .map(|i| (&self.shapes[i].0, &self.shapes[i].1))
            .collect()
    }

    /// The shape holding (lon, lat), boundary included.
    pub fn locate(&self, lon: f64, lat: f64) -> Option<&T> {
        let point = Point::new(lon, lat);
        let mut best: Option<usize> = None;
        for e in self
            .tree
            .locate_in_envelope_intersecting(&AABB::from_point([lon, lat]))
        {
            if best.is_some_and(|b| b < e.index) {
                continue;
            }
            let shape = &self.shapes[e.index].0;
            if shape.contains(&point) || shape.intersects(&point) {
                best = Some(e.index);
            }
        }
        best.map(|i| &self.shapes[i].1)
    }

    pub fn iter(&self) -> impl Iterator<Item = &(MultiPolygon<f64>, T)> {
        self.shapes.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64, size: f64) -> GeometryValue {
        GeometryValue::new_polygon(vec![vec![
            vec![x, y],
            vec![x + size, y],
            vec![x + size, y + size],
            vec![x, y + size],
            vec![x, y],
        ]])
    }

    #[test]
    fn accepts_a_square() {
        let p = grid_polygon(&square(120.0, 30.0, 0.01)).unwrap();
        assert!(p.unsigned_area() > 0.0);
        let back = polygon_to_geojson(&p);
        assert_eq!(grid_polygon(&back).unwrap(), p);
    }

    #[test]
    fn rejects_unclosed_and_bowtie_and_short() {
        let open = GeometryValue::new_polygon(vec![vec![
            vec![0.0, 0.0],
            vec![1.0, 0.0],
            vec![1.0, 1.0],
            vec![0.0, 1.0],
        ]]);
        assert_eq!(
            grid_polygon(&open),
            Err(GeometryError::UnclosedRing { ring: 1 })
        );
        let bowtie = GeometryValue::new_polygon(vec![vec![
            vec![0.0, 0.0],
            vec![1.0, 1.0],
            vec![1.0, 0.0],
            vec![0.0, 1.0],
            vec![0.0, 0.0],
        ]]);
        assert_eq!(grid_polygon(&bowtie), Err(GeometryError::SelfIntersecting));
        let short =
            GeometryValue::new_polygon(vec![vec![vec![0.0, 0.0], vec![1.0, 0.0], vec![0.0, 0.0]]]);
        assert_eq!(
            grid_polygon(&short),
            Err(GeometryError::TooFewPoints { ring: 1 })
        );
        let far = square(200.0, 0.0, 1.0);
        assert_eq!(grid_polygon(&far), Err(GeometryError::BadCoordinate));
        let point = GeometryValue::new_point([1.0, 2.0]);
        assert!(matches!(
            grid_polygon(&point),
            Err(GeometryError::NotPolygon(_))
        ));
    }

    #[test]
    fn neighbours_do_not_overlap_but_shifted_ones_do() {
        let a = grid_polygon(&square(0.0, 0.0, 1.0)).unwrap();
        let b = grid_polygon(&square(1.0, 0.0, 1.0)).unwrap();
        let c = grid_polygon(&square(0.5, 0.5, 1.0)).unwrap();
        assert!(overlap_area(&a, &b) < OVERLAP_TOLERANCE);
        assert!((overlap_area(&a, &c) - 0.25).abs() < 1e-9);
    }

    #[test]
    fn locate_finds_the_holding_shape() {
        let shapes: Vec<_> = (0..10)
            .flat_map(|i| (0..10).map(move |j| (i, j)))
            .map(|(i, j)| {
                let p = grid_polygon(&square(i as f64, j as f64, 1.0)).unwrap();
                (MultiPolygon(vec![p]), (i, j))
            })
            .collect();
        let idx = LocateIndex::new(shapes);
        assert_eq!(idx.locate(3.5, 7.25), Some(&(3, 7)));
        assert_eq!(idx.locate(10.5, 0.5), None);
        // On the shared edge x = 4: the first-added shape wins, every time.
        assert_eq!(idx.locate(4.0, 2.5), Some(&(3, 2)));
        let union = union_all(&idx.iter().map(|(m, _)| m.0[0].clone()).collect::<Vec<_>>());
        assert!((union.unsigned_area() - 100.0).abs() < 1e-6);
    }
}
