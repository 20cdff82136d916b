//! Validity windows (`validFor`) of trust material: membership, display, required starts.

use signet_core::time::format_rfc3339;
use signet_core::trust::TimeRange;

use crate::{Error, Result, Rule};

pub(crate) fn in_range(t: i64, start: Option<i64>, end: Option<i64>) -> bool {
    start.is_none_or(|s| t >= s) && end.is_none_or(|e| t <= e)
}

pub(crate) fn fmt_range(start: Option<i64>, end: Option<i64>) -> String {
    format!(
        "[{}, {}]",
        start.map(format_rfc3339).unwrap_or_else(|| "-inf".into()),
        end.map(format_rfc3339).unwrap_or_else(|| "open".into())
    )
}

/// The bounds of a `validFor` that must have a start.
pub(crate) fn required_bounds(what: &str, range: Option<&TimeRange>) -> Result<(i64, Option<i64>)> {
    let missing = || Error::TrustedRoot {
        rule: Rule::TrustedRootValidityStart,
        reason: format!(
            "{what} has no validFor.start; a trusted key or CA must say since when it is trusted"
        ),
    };
    let range = range.ok_or_else(missing)?;
    let (start, end) = range
        .bounds()
        .map_err(|e| Error::trusted_root(format!("{what} validFor: {e}")))?;
    Ok((start.ok_or_else(missing)?, end))
}
