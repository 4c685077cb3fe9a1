//! `redis+sentinel://` URLs.

use lock_core::{BackendError, BackendErrorKind};

use crate::BACKEND;

/// The scheme of a Sentinel URL.
pub(crate) const SCHEME: &str = "redis+sentinel://";

/// Port of a sentinel given without one.
const DEFAULT_PORT: u16 = 26379;

/// What a `redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/service[/db]` URL
/// says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SentinelUrl {
    /// `(host, port)` of each sentinel, in the given order.
    pub(crate) sentinels: Vec<(String, u16)>,
    /// The master's name as the sentinels monitor it.
    pub(crate) service: String,
    /// The master's database.
    pub(crate) db: i64,
    /// The master's user, if any.
    pub(crate) username: Option<String>,
    /// The master's password, if any.
    pub(crate) password: Option<String>,
}

fn invalid(url: &str, why: &str) -> BackendError {
    // The URL is not echoed: it may hold a password.
    let _ = url;
    BackendError::new(
        BACKEND,
        BackendErrorKind::Config,
        format!(
            "invalid Sentinel URL ({why}); expected \
             redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/service[/db]"
        ),
    )
}

/// Percent-decodes `text` (`%40` for `@`, and so on).
fn decode(url: &str, text: &str) -> Result<String, BackendError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3).ok_or_else(|| invalid(url, "bad percent-escape"))?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| invalid(url, "bad percent-escape"))?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| invalid(url, "percent-escape is not UTF-8"))
}

fn host_port(url: &str, node: &str) -> Result<(String, u16), BackendError> {
    if node.is_empty() {
        return Err(invalid(url, "an empty sentinel address"));
    }
    // `[::1]:26379` or `[::1]`
    if let Some(rest) = node.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(|| invalid(url, "unclosed '['"))?;
        let port = match after.strip_prefix(':') {
            Some(port) => port.parse().map_err(|_| invalid(url, "bad port"))?,
            None if after.is_empty() => DEFAULT_PORT,
            None => return Err(invalid(url, "bad address")),
        };
        return Ok((host.to_owned(), port));
    }
    match node.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => {
            Ok((host.to_owned(), port.parse().map_err(|_| invalid(url, "bad port"))?))
        }
        Some(_) => Err(invalid(url, "a sentinel address without a host")),
        None => Ok((node.to_owned(), DEFAULT_PORT)),
    }
}

impl SentinelUrl {
    /// Parses `url`; `None` if it is not a `redis+sentinel://` URL at all.
    pub(crate) fn parse(url: &str) -> Option<Result<Self, BackendError>> {
        let rest = url.strip_prefix(SCHEME)?;
        Some(Self::parse_rest(url, rest))
    }

    fn parse_rest(url: &str, rest: &str) -> Result<Self, BackendError> {
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hosts) = match authority.rsplit_once('@') {
            Some((userinfo, hosts)) => (Some(userinfo), hosts),
            None => (None, authority),
        };
        let (username, password) = match userinfo {
            None => (None, None),
            Some(userinfo) => {
                let (user, password) = match userinfo.split_once(':') {
                    Some((user, password)) => (user, Some(password)),
                    None => (userinfo, None),
                };
                let user = Some(decode(url, user)?).filter(|u| !u.is_empty());
                let password = password.map(|p| decode(url, p)).transpose()?;
                (user, password.filter(|p| !p.is_empty()))
            }
        };
        let sentinels =
            hosts.split(',').map(|node| host_port(url, node)).collect::<Result<Vec<_>, _>>()?;
        let mut segments = path.split('/');
        let service = decode(url, segments.next().unwrap_or_default())?;
        if service.is_empty() {
            return Err(invalid(url, "no service name"));
        }
        let db = match segments.next() {
            None | Some("") => 0,
            Some(db) => db.parse().map_err(|_| invalid(url, "the database is not a number"))?,
        };
        if segments.any(|s| !s.is_empty()) {
            return Err(invalid(url, "a path after the database"));
        }
        Ok(Self { sentinels, service, db, username, password })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<SentinelUrl, BackendError> {
        SentinelUrl::parse(url).expect("a sentinel URL")
    }

    #[test]
    fn hosts_service_and_db() {
        let url = parse("redis+sentinel://10.0.0.1:26379,10.0.0.2:26380,s3/mymaster/2").unwrap();
        assert_eq!(
            url.sentinels,
            vec![
                ("10.0.0.1".to_owned(), 26379),
                ("10.0.0.2".to_owned(), 26380),
                ("s3".to_owned(), DEFAULT_PORT)
            ]
        );
        assert_eq!(url.service, "mymaster");
        assert_eq!(url.db, 2);
        assert_eq!((url.username, url.password), (None, None));
    }

    #[test]
    fn credentials_are_percent_decoded_and_optional() {
        let url = parse("redis+sentinel://app:p%40ss%3Aword@[::1]:26379,[::1]/svc").unwrap();
        assert_eq!(url.username.as_deref(), Some("app"));
        assert_eq!(url.password.as_deref(), Some("p@ss:word"));
        assert_eq!(url.sentinels, vec![("::1".to_owned(), 26379), ("::1".to_owned(), 26379)]);
        assert_eq!(url.db, 0);
        let url = parse("redis+sentinel://:secret@h:1/svc/").unwrap();
        assert_eq!((url.username, url.password.as_deref()), (None, Some("secret")));
    }

    #[test]
    fn other_urls_are_not_sentinel_urls() {
        assert!(SentinelUrl::parse("redis://127.0.0.1:6379/").is_none());
        assert!(SentinelUrl::parse("redis-sentinel://127.0.0.1:26379").is_none());
    }

    #[test]
    fn malformed_urls_are_config_errors_without_the_password() {
        for bad in [
            "redis+sentinel://h:1",
            "redis+sentinel://h:1/",
            "redis+sentinel://h:port/svc",
            "redis+sentinel://h:1,,h:2/svc",
            "redis+sentinel://h:1/svc/db",
            "redis+sentinel://h:1/svc/0/x",
            "redis+sentinel://u:hunter%zz2@h:1/svc",
        ] {
            let e = parse(bad).expect_err(bad);
            assert_eq!(e.kind(), BackendErrorKind::Config, "{bad}");
            assert!(!e.to_string().contains("hunter"), "{e}");
        }
    }
}
