//! Organisation, shared checks: names, codes, region codes, GeoJSON geometry, and the
//! jurisdiction filter.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::kernel::actor::Actor;
use jiceng_core::RegionCode;
use jiceng_core::geometry::GeometryError;

// ---------------------------------------------------------------------------------------------
// Shared checks

pub(crate) fn check_name(field: &str, name: &str) -> AppResult<String> {
    let n = name.trim();
    if n.is_empty() {
        return Err(AppError::field(
            field,
            Code::ValidationRequired,
            "名称不能为空",
        ));
    }
    if n.chars().count() > 100 {
        return Err(AppError::field(
            field,
            Code::ValidationTooLong,
            "名称不能超过100个字",
        ));
    }
    Ok(n.to_string())
}

/// Codes of grids and departments: 1–40 letters, digits, `-` or `_`.
pub(crate) fn check_code(field: &str, code: &str, what: &str) -> AppResult<String> {
    let c = code.trim();
    if c.is_empty()
        || c.len() > 40
        || !c
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AppError::field(
            field,
            Code::ValidationBadCode,
            format!("{what}编码只能由1～40位字母、数字、“-”或“_”组成"),
        ));
    }
    Ok(c.to_string())
}

pub(crate) fn parse_region_code(field: &str, code: &str) -> AppResult<RegionCode> {
    RegionCode::parse(code)
        .map_err(|e| AppError::field(field, Code::RegionInvalidCode, e.to_string()))
}

pub(crate) fn geometry_error(field: &str, e: GeometryError) -> AppError {
    AppError::field(field, Code::of(e.code()), e.to_string())
}

pub(crate) fn parse_geojson_geometry(
    field: &str,
    v: &serde_json::Value,
) -> AppResult<geojson::Geometry> {
    serde_json::from_value::<geojson::Geometry>(v.clone()).map_err(|_| {
        AppError::field(
            field,
            Code::GeometryInvalidGeojson,
            "不是有效的 GeoJSON 几何对象",
        )
    })
}

pub(crate) fn region_not_found() -> AppError {
    AppError::new(Code::RegionNotFound, "区划不存在")
}

pub(crate) fn like_pattern(actor: &Actor) -> Option<String> {
    actor.jurisdiction().map(|j| j.region_like_pattern())
}
