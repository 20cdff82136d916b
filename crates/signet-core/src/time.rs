//! RFC 3339 timestamps <-> Unix seconds, without a calendar dependency.

use crate::{Error, Result};

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The (year, month, day) of a day count since 1970-01-01 (H. Hinnant's algorithm).
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Unix seconds from calendar fields (UTC), unchecked (see [`checked_unix`]).
pub fn unix_from_parts(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> i64 {
    days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s
}

/// Whether `y` is a Gregorian leap year.
pub fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days in month `mo` (1..=12) of year `y`.
pub fn days_in_month(y: i64, mo: i64) -> Option<i64> {
    Some(match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => return None,
    })
}

/// The one calendar check of the crate: Unix seconds from calendar fields (UTC), or `None`
/// if they name no instant (month 13, February 30, hour 24, ...). `max_second` is 59, or 60
/// where the format allows a leap second (RFC 3339).
pub fn checked_unix(
    y: i64,
    mo: i64,
    d: i64,
    h: i64,
    mi: i64,
    s: i64,
    max_second: i64,
) -> Option<i64> {
    let dim = days_in_month(y, mo)?;
    if !(1..=dim).contains(&d)
        || !(0..=23).contains(&h)
        || !(0..=59).contains(&mi)
        || !(0..=max_second).contains(&s)
    {
        return None;
    }
    Some(unix_from_parts(y, mo, d, h, mi, s))
}

/// Parse an RFC 3339 timestamp (`2022-04-13T20:06:15.000Z`, offsets allowed) to Unix seconds;
/// fractional seconds are truncated.
pub fn parse_rfc3339(s: &str) -> Result<i64> {
    let bad = || {
        Error::invalid(
            "timestamp",
            format!("expected RFC 3339 (YYYY-MM-DDTHH:MM:SSZ), found {s:?}"),
        )
    };
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64> {
        let t = s.get(r).ok_or_else(bad)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        t.parse::<i64>().map_err(|_| bad())
    };
    let (y, mo, d, h, mi, sec) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    let t = checked_unix(y, mo, d, h, mi, sec, 60).ok_or_else(bad)?;
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(bad());
        }
        rest = &r[n..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) && &o[3..4] == ":" => {
            let digits = |r: std::ops::Range<usize>| -> Result<i64> {
                let t = &o[r];
                if !t.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(bad());
                }
                t.parse().map_err(|_| bad())
            };
            let (oh, om) = (digits(1..3)?, digits(4..6)?);
            if oh > 23 || om > 59 {
                return Err(bad());
            }
            let v = oh * 3600 + om * 60;
            if o.starts_with('+') {
                v
            } else {
                -v
            }
        }
        _ => return Err(bad()),
    };
    Ok(t - offset)
}

/// Format Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_rfc3339(t: i64) -> String {
    let days = t.div_euclid(86400);
    let secs = t.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The wall clock as Unix seconds (0 before 1970), for what a service or client decides now:
/// issuing certificates and timestamps, TUF metadata expiry. Never for a bundle's validity,
/// which is checked at its verified signing time.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        for (text, t) in [
            ("1970-01-01T00:00:00Z", 0),
            ("2022-04-13T20:06:15.000Z", 1649880375),
            ("2022-04-13T22:06:15+02:00", 1649880375),
        ] {
            assert_eq!(parse_rfc3339(text).unwrap(), t, "{text}");
        }
        assert_eq!(format_rfc3339(1649880375), "2022-04-13T20:06:15Z");
        for t in [0, 951782400, 4102444800, 1740520730] {
            assert_eq!(parse_rfc3339(&format_rfc3339(t)).unwrap(), t);
        }
        for bad in [
            "",
            "2022-04-13",
            "2022-13-13T00:00:00Z",
            "2022-04-13T20:06:15",
            "2022-04-13T20:06:15.Z",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
        // One calendar: days that do not exist are refused here as in RFC 3161 genTime.
        for bad in [
            "2023-02-29T00:00:00Z",
            "2024-02-30T00:00:00Z",
            "2021-02-31T00:00:00Z",
            "2021-04-31T00:00:00Z",
            "2100-02-29T00:00:00Z",
            "2021-01-01T00:00:00+24:00",
            "2021-01-01T00:00:00+0a:00",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
    }
}
