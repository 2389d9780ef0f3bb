//! Civil (proleptic Gregorian, UTC) dates from and to days since the Unix epoch.
//!
//! Month buckets and week/month/year summaries need calendar arithmetic; these are Howard
//! Hinnant's `days_from_civil` / `civil_from_days`, exact for every date kvdb can meet, so
//! the crate needs no date library.

/// Seconds in a day.
pub(crate) const DAY: u64 = 86_400;

/// Days since 1970-01-01 of the date `year-month-day` (`month` 1..=12).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date `(year, month 1..=12, day 1..=31)` of a day counted from 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The month index (months since January 1970) of a Unix time in seconds.
pub(crate) fn month_of(unix_secs: u64) -> u64 {
    let (year, month, _) = civil_from_days((unix_secs / DAY) as i64);
    ((year - 1970) * 12 + i64::from(month) - 1).max(0) as u64
}

/// The Unix time in seconds at which a month index starts.
pub(crate) fn month_start(month: u64) -> u64 {
    let year = 1970 + (month / 12) as i64;
    let days = days_from_civil(year, (month % 12) as u32 + 1, 1);
    (days.max(0) as u64).saturating_mul(DAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2024, 2, 29), 19_782);
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(19_783), (2024, 3, 1));
    }

    #[test]
    fn round_trips_over_centuries() {
        for days in (-1_000..200_000).step_by(7) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn months_are_calendar_months() {
        // 2024-02 starts at 2024-02-01T00:00:00Z and is 29 days long.
        let feb_2024 = (2024 - 1970) * 12 + 1;
        assert_eq!(month_start(feb_2024), 1_706_745_600);
        assert_eq!(month_start(feb_2024 + 1) - month_start(feb_2024), 29 * DAY);
        assert_eq!(month_of(1_706_745_600), feb_2024);
        assert_eq!(month_of(1_706_745_599), feb_2024 - 1);
    }
}
