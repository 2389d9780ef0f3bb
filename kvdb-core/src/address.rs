//! Showing a connection URL without its password.

/// The URL with its password (if any) replaced by `***`.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    let redacted_path = redact_query_password(path);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or("", |(user, _)| user);
            let masked = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                String::from("***")
            };
            format!("{scheme}://{masked}@{host}{redacted_path}")
        }
        None => format!("{scheme}://{authority}{redacted_path}"),
    }
}

/// The server's address for messages: the URL without any credentials.
pub(crate) fn display_addr(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return String::from("<invalid url>");
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let path = path.split('?').next().unwrap_or_default();
    format!("{scheme}://{host}{path}")
}

/// `unix:///tmp/redis.sock?pass=secret`: Redis URLs may carry the password as a parameter.
fn redact_query_password(path: &str) -> String {
    let Some((before, query)) = path.split_once('?') else {
        return path.to_owned();
    };
    let masked: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if name == "pass" || name == "password" => format!("{name}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{before}?{}", masked.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_masked() {
        assert_eq!(
            redact_url("redis://app:s3cret@db.example:6380/2"),
            "redis://app:***@db.example:6380/2"
        );
        assert_eq!(redact_url("redis://:s3cret@h:1"), "redis://:***@h:1");
        assert_eq!(
            redact_url("unix:///tmp/r.sock?db=1&pass=s3cret"),
            "unix:///tmp/r.sock?db=1&pass=***"
        );
        assert_eq!(redact_url("redis://h:1/0"), "redis://h:1/0");
    }

    #[test]
    fn address_has_no_credentials() {
        assert_eq!(
            display_addr("redis://app:s3cret@db:6380/2"),
            "redis://db:6380/2"
        );
        assert_eq!(
            display_addr("unix:///tmp/r.sock?pass=x"),
            "unix:///tmp/r.sock"
        );
    }
}
