//! "Did you mean ...?": the known program names closest to an unknown one.

use strsim::normalized_damerau_levenshtein as similarity;

/// At most this many suggestions.
const MAX_SUGGESTIONS: usize = 3;

/// Names less similar than this (0 = nothing alike, 1 = equal) are not suggested.
const MIN_SIMILARITY: f64 = 0.5;

/// The known names closest to `wanted`, best first.
///
/// Names of the same library (the same text before the last `.`) rank first and are compared
/// by the part after it, because a slip is more likely inside one library than across two:
/// `mylib.rename_if_exists` suggests `mylib.check_if_exists` before `kvdb.rename_if_exists`.
pub(crate) fn closest<'a>(wanted: &str, known: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let (wanted_lib, wanted_tail) = split(wanted);
    let mut scored: Vec<(bool, f64, &str)> = known
        .into_iter()
        .filter_map(|name| {
            let (lib, tail) = split(name);
            let same_lib = lib.is_some() && lib == wanted_lib;
            let mut score = similarity(wanted, name);
            if same_lib {
                score = score.max(similarity(wanted_tail, tail));
            }
            let case_only = wanted.eq_ignore_ascii_case(name);
            (score >= MIN_SIMILARITY || case_only).then_some((same_lib, score, name))
        })
        .collect();
    scored.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(b.1.total_cmp(&a.1))
            .then_with(|| a.2.cmp(b.2))
    });
    scored
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, _, name)| name.to_owned())
        .collect()
}

/// `mylib.check_if_exists` -> (Some("mylib"), "check_if_exists").
fn split(name: &str) -> (Option<&str>, &str) {
    match name.rsplit_once('.') {
        Some((lib, tail)) => (Some(lib), tail),
        None => (None, name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_slip() {
        let known = [
            "kvdb.rename_if_exists",
            "mylib.check_if_exists",
            "other.thing",
        ];
        let found = closest("mylib.rename_if_exists", known);
        assert_eq!(found, ["mylib.check_if_exists", "kvdb.rename_if_exists"]);
    }

    #[test]
    fn typos_and_case() {
        let known = ["orders.reserve", "orders.release", "stats.bump"];
        assert_eq!(closest("orders.reserv", known)[0], "orders.reserve");
        assert_eq!(closest("STATS.BUMP", known), ["stats.bump"]);
        assert_eq!(
            closest("stats.bmup", known),
            ["stats.bump"],
            "a transposition"
        );
        assert_eq!(closest("tow", ["two", "three"]), ["two"]);
        assert!(closest("completely-different", known).is_empty());
        assert!(closest("x", []).is_empty());
    }
}
