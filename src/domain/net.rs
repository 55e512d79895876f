//! Where the service may send a request of its own (a feed, an app store, a tool's API, a group
//! robot): public addresses only, unless the operator lists a host or a network in
//! `TINGJIAN_ALLOW_PRIVATE_URLS`.
//!
//! The check is made on the address actually connected to: host names go through
//! [`GuardedResolver`], which drops every non-public address a name resolves to (so a name
//! that resolves to a public address when a URL is saved and to 127.0.0.1 when it is fetched,
//! DNS rebinding, still cannot reach 127.0.0.1); addresses written in the URL itself (which
//! the HTTP client connects to without asking a resolver) are checked before the request is
//! sent and on every redirect. The URL parser has already read odd spellings (`127.1`,
//! `0x7f.1`, `2130706433`) as the address they mean, and IPv4-mapped and -compatible IPv6
//! forms are judged by the IPv4 address they carry.
//!
//! What a refusal says is for the log: users are told only that the server could not be
//! reached, the same words as for a closed port or a timeout.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// IPv4 networks that are not the public internet: "this network", private (RFC 1918),
/// shared address space (CGNAT, RFC 6598), loopback, link-local, IETF protocol assignments,
/// documentation, benchmarking, multicast, reserved and broadcast.
const V4_NOT_PUBLIC: &[(Ipv4Addr, u8)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8),
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    (Ipv4Addr::new(100, 64, 0, 0), 10),
    (Ipv4Addr::new(127, 0, 0, 0), 8),
    (Ipv4Addr::new(169, 254, 0, 0), 16),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(192, 0, 0, 0), 24),
    (Ipv4Addr::new(192, 0, 2, 0), 24),
    (Ipv4Addr::new(192, 88, 99, 0), 24),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
    (Ipv4Addr::new(198, 18, 0, 0), 15),
    (Ipv4Addr::new(198, 51, 100, 0), 24),
    (Ipv4Addr::new(203, 0, 113, 0), 24),
    (Ipv4Addr::new(224, 0, 0, 0), 4),
    (Ipv4Addr::new(240, 0, 0, 0), 4),
];

/// IPv6 networks that are not the public internet (those that embed an IPv4 address are
/// judged by it, see [`is_public`]): unspecified and loopback (inside `::/96`), discard,
/// Teredo, ORCHID, documentation, unique local (fc00::/7), link-local (fe80::/10), the old
/// site-local and multicast.
const V6_NOT_PUBLIC: &[(Ipv6Addr, u8)] = &[
    (Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0), 64),
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32),
    (Ipv6Addr::new(0x2001, 0x10, 0, 0, 0, 0, 0, 0), 28),
    (Ipv6Addr::new(0x2001, 0x20, 0, 0, 0, 0, 0, 0), 28),
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32),
    (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7),
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10),
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10),
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8),
];

/// Whether `ip` is an address on the public internet. IPv6 addresses that carry an IPv4
/// address (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4
/// `2002:aabb:ccdd::`) are judged by that address; `::` and `::1` are not public.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !V4_NOT_PUBLIC
            .iter()
            .any(|&(net, len)| Ipv4Net::new(net, len).is_ok_and(|n| n.contains(&v4))),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return is_public(IpAddr::V4(v4));
            }
            !V6_NOT_PUBLIC
                .iter()
                .any(|&(net, len)| Ipv6Net::new(net, len).is_ok_and(|n| n.contains(&v6)))
        }
    }
}

/// The IPv4 address an IPv6 address stands for, if it is one of the forms that carry one.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible; :: and ::1 fall in 0.0.0.0/8).
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0, 0, _, _] => Some(tail),
        // 64:ff9b::a.b.c.d (NAT64) and 64:ff9b:1::/48 (local-use NAT64).
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] | [0x64, 0xff9b, 1, ..] => Some(tail),
        // 2002:aabb:ccdd::/48 (6to4).
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

/// The hosts and networks the operator allows outgoing requests to although they are not
/// public: `TINGJIAN_ALLOW_PRIVATE_URLS`, comma-separated host names, addresses and CIDRs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AllowPrivate {
    hosts: Vec<String>,
    nets: Vec<IpNet>,
}

impl AllowPrivate {
    /// Nothing private allowed (the default).
    pub fn none() -> Self {
        Self::default()
    }

    /// `feeds.internal, 10.0.0.0/8, 127.0.0.1, [::1]`: a host name allows whatever it
    /// resolves to; an address or CIDR allows those addresses whatever name led there.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut out = Self::default();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let bare = item
                .strip_prefix('[')
                .and_then(|s| s.strip_suffix(']'))
                .unwrap_or(item);
            if let Ok(net) = bare.parse::<IpNet>() {
                out.nets.push(net.trunc());
            } else if let Ok(ip) = bare.parse::<IpAddr>() {
                out.nets.push(IpNet::from(ip));
            } else if super::host::is_host_name(bare) && !bare.contains('/') {
                out.hosts.push(normal_host(bare));
            } else {
                return Err(format!(
                    "{item:?} is neither a host name, an address nor a CIDR"
                ));
            }
        }
        Ok(out)
    }

    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty() && self.nets.is_empty()
    }

    /// Whether requests to the host named `host` may go to private addresses.
    pub fn allows_host(&self, host: &str) -> bool {
        let host = normal_host(host);
        self.hosts.contains(&host)
    }

    pub fn allows_addr(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|n| n.contains(&ip))
    }
}

/// Lowercase, without the root's trailing dot.
fn normal_host(host: &str) -> String {
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is, so that `127.0.0.0/8` in the
/// allow list covers `[::ffff:127.0.0.1]` too.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// An outgoing request the address rules refused; its text is for the log only.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Refused {
    #[error("{0} is not a public address and TINGJIAN_ALLOW_PRIVATE_URLS does not list it")]
    Address(IpAddr),
    #[error("{host} resolves to no public address ({addrs}) and TINGJIAN_ALLOW_PRIVATE_URLS does not list it")]
    Name { host: String, addrs: String },
    #[error("only http and https URLs are fetched")]
    Scheme,
}

/// Whether a request may be sent to `url` as written: http(s), and an address written in the
/// URL must be public or allowed. A host name passes here; the resolver judges what it
/// resolves to when the connection is made.
pub fn check_url(url: &url::Url, allow: &AllowPrivate) -> Result<(), Refused> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refused::Scheme);
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    if is_public(ip) || allow.allows_addr(ip) {
        Ok(())
    } else {
        Err(Refused::Address(ip))
    }
}

/// Whether a URL someone is saving names a non-public address outright (a literal address,
/// in any spelling the URL parser reads): `Some(message)` to answer 422 with. Host names
/// are judged when fetched, since what they resolve to can change.
pub fn literal_refusal(raw: &str, allow: &AllowPrivate) -> Option<&'static str> {
    let url = url::Url::parse(raw.trim()).ok()?;
    match check_url(&url, allow) {
        Err(Refused::Address(_)) => Some(
            "names a loopback, private, link-local or otherwise non-public address; \
             the operator can allow it with TINGJIAN_ALLOW_PRIVATE_URLS",
        ),
        _ => None,
    }
}

/// Resolves host names with the system resolver and keeps only the addresses a request may
/// go to: public ones, and any the allow list covers (all of them for a listed host).
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    allow: Arc<AllowPrivate>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let whole_host = allow.allows_host(&host);
            let kept: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| whole_host || is_public(a.ip()) || allow.allows_addr(a.ip()))
                .collect();
            if kept.is_empty() {
                let addrs = found
                    .iter()
                    .map(|a| a.ip().to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(Box::new(Refused::Name { host, addrs }) as _);
            }
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Redirects followed at most.
const MAX_REDIRECTS: usize = 5;

/// The one HTTP client for requests the service makes itself: bounded time and redirects,
/// and the address rules above on the first request, each redirect and each resolution.
#[derive(Debug, Clone)]
pub struct Outbound {
    client: reqwest::Client,
    allow: Arc<AllowPrivate>,
}

/// A request that was refused or failed; its text is for the log.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("refused: {0}")]
    Refused(Refused),
    #[error(transparent)]
    Http(reqwest::Error),
}

impl OutboundError {
    pub fn is_timeout(&self) -> bool {
        matches!(self, OutboundError::Http(e) if e.is_timeout())
    }

    /// Failed before the request could reach the server (refused by the address rules, no
    /// connection, a request that could not be built): the server cannot have acted on it.
    pub fn before_sending(&self) -> bool {
        match self {
            OutboundError::Refused(_) => true,
            OutboundError::Http(e) => e.is_connect() || e.is_builder(),
        }
    }

    /// The error and its causes as one line, without the URL (which may carry a token),
    /// bounded: for the log.
    pub fn log_detail(self) -> String {
        match self {
            OutboundError::Refused(r) => format!("refused: {r}"),
            OutboundError::Http(e) => {
                let e = e.without_url();
                super::text::truncate_chars(&with_causes(e.to_string(), &e), 400)
            }
        }
    }
}

/// `msg` followed by the messages of `e`'s causes (DNS, TLS, connection …) that it does not
/// already say, at most six deep.
pub fn with_causes(mut msg: String, e: &(dyn std::error::Error + 'static)) -> String {
    let mut source = e.source();
    for _ in 0..6 {
        let Some(s) = source else { break };
        let part = s.to_string();
        if !part.is_empty() && !msg.contains(&part) {
            msg.push_str(": ");
            msg.push_str(&part);
        }
        source = s.source();
    }
    msg
}

impl Outbound {
    /// A client with timeouts of `timeout` (whole request) and `connect_timeout`.
    pub fn new(allow: AllowPrivate) -> anyhow::Result<Self> {
        Self::with_timeouts(allow, Duration::from_secs(30), Duration::from_secs(10))
    }

    pub fn with_timeouts(
        allow: AllowPrivate,
        timeout: Duration,
        connect_timeout: Duration,
    ) -> anyhow::Result<Self> {
        let allow = Arc::new(allow);
        let on_redirect = allow.clone();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(connect_timeout)
            .dns_resolver(Arc::new(GuardedResolver {
                allow: allow.clone(),
            }))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= MAX_REDIRECTS {
                    return attempt.error("too many redirects");
                }
                match check_url(attempt.url(), &on_redirect) {
                    Ok(()) => attempt.follow(),
                    Err(refused) => attempt.error(refused),
                }
            }))
            .build()?;
        Ok(Self { client, allow })
    }

    pub fn allow(&self) -> &AllowPrivate {
        &self.allow
    }

    pub fn get<U: reqwest::IntoUrl>(&self, url: U) -> reqwest::RequestBuilder {
        self.client.get(url)
    }

    pub fn post<U: reqwest::IntoUrl>(&self, url: U) -> reqwest::RequestBuilder {
        self.client.post(url)
    }

    /// Sends a request built with [`Outbound::get`] or [`Outbound::post`], after checking
    /// the address written in its URL.
    pub async fn send(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, OutboundError> {
        let req = req.build().map_err(OutboundError::Http)?;
        check_url(req.url(), &self.allow).map_err(OutboundError::Refused)?;
        self.client.execute(req).await.map_err(OutboundError::Http)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn what_is_public() {
        for private in [
            "127.0.0.1",
            "127.255.255.254",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "fe80::1",
            "fd12:3456::1",
            "fc00::1",
            "ff02::1",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip(private)), "{private}");
        }
        for public in [
            "93.184.215.14",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.0",
            "172.32.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "2002:808:808::",
        ] {
            assert!(is_public(ip(public)), "{public}");
        }
    }

    #[test]
    fn odd_spellings_are_read_as_the_address_they_mean() {
        let none = AllowPrivate::none();
        for url in [
            "http://127.1/",
            "http://0x7f.1/",
            "http://0177.0.0.1/",
            "http://2130706433/",
            "http://[::ffff:127.0.0.1]/",
            "http://[0:0:0:0:0:ffff:7f00:1]/",
            "HTTP://127.0.0.1.:80/",
            "http://0/",
        ] {
            let u = url::Url::parse(url).unwrap();
            assert!(check_url(&u, &none).is_err(), "{url}");
            assert!(literal_refusal(url, &none).is_some(), "{url}");
        }
        let u = url::Url::parse("http://feeds.example.com/").unwrap();
        assert!(
            check_url(&u, &none).is_ok(),
            "names are judged when resolved"
        );
        let u = url::Url::parse("file:///etc/passwd").unwrap();
        assert!(check_url(&u, &none).is_err());
    }

    #[test]
    fn the_allow_list() {
        let allow =
            AllowPrivate::parse(" 127.0.0.0/8, [::1], feeds.internal., 10.1.2.3 ,").unwrap();
        assert!(allow.allows_addr(ip("127.0.0.9")));
        assert!(
            allow.allows_addr(ip("::ffff:127.0.0.9")),
            "mapped forms too"
        );
        assert!(allow.allows_addr(ip("::1")));
        assert!(allow.allows_addr(ip("10.1.2.3")));
        assert!(!allow.allows_addr(ip("10.1.2.4")));
        assert!(allow.allows_host("FEEDS.internal"));
        assert!(!allow.allows_host("other.internal"));
        let u = url::Url::parse("http://127.1/").unwrap();
        assert!(check_url(&u, &allow).is_ok());
        assert!(AllowPrivate::parse("not a host!").is_err());
        assert!(AllowPrivate::parse("10.0.0.0/33").is_err());
        assert!(AllowPrivate::parse("").unwrap().is_empty());
    }
}
