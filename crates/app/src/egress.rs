//! Where webhooks may be sent: a guard against server-side request forgery.
//!
//! An admin who registers `http://169.254.169.254/...` (the cloud metadata
//! service), `http://127.0.0.1:5432/` or a host on the operator's private
//! network would make the server probe or call what only it can reach. So an
//! endpoint must resolve to public addresses only: loopback, private
//! (RFC 1918), shared (100.64/10), link-local (169.254/16, the metadata
//! address among them), unspecified, broadcast, multicast, IPv6 unique-local
//! (fc00::/7) and link-local (fe80::/10), and IPv4-mapped forms of all of
//! them are refused, unless an operator lists a network as allowed
//! (`serve --webhooks-allow-net`, e.g. a marketplace inside the same VPC, or
//! a receiver on 127.0.0.1 in tests).
//!
//! The check runs twice: when an endpoint is registered or changed (a clear
//! 422), and at every delivery through the client's own resolver, which
//! hands the connector only the addresses it checked, so a name that
//! resolved to a public address then is rebound to a private one later
//! (DNS rebinding) is refused at the connection. The delivery client uses no
//! proxy, since a proxy would resolve names where the guard cannot see.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;

/// The networks webhooks may reach besides public addresses.
#[derive(Debug, Clone, Default)]
pub struct EgressPolicy {
    allow: Arc<Vec<IpNet>>,
}

impl EgressPolicy {
    /// Public addresses only, plus the networks in `allow`.
    pub fn new(allow: Vec<IpNet>) -> Self {
        Self {
            allow: Arc::new(allow),
        }
    }

    /// The allowed networks.
    pub fn allowed(&self) -> &[IpNet] {
        &self.allow
    }

    /// Why `ip` may not be reached, or `None` if it may.
    pub fn refuses(&self, ip: IpAddr) -> Option<&'static str> {
        if self.allow.iter().any(|n| n.contains(&ip)) {
            return None;
        }
        non_public(ip)
    }

    /// Refuses `host` if it is, or resolves to, any address the policy does
    /// not permit (at registration: a clear error now). A name that does not
    /// resolve yet passes: the delivery client's resolver checks it when
    /// it connects.
    pub async fn check_host(&self, host: &str, port: u16) -> Result<(), String> {
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<IpAddr> = match literal.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => match tokio::net::lookup_host((host, port)).await {
                Ok(a) => a.map(|a| a.ip()).collect(),
                Err(_) => return Ok(()),
            },
        };
        match addrs
            .iter()
            .find_map(|ip| self.refuses(*ip).map(|w| (ip, w)))
        {
            Some((ip, why)) => Err(format!(
                "host {host} may not receive webhooks: {ip} is {why} (an operator may allow a network with --webhooks-allow-net)"
            )),
            None => Ok(()),
        }
    }

    /// The addresses of `host` (a name or an IP literal) and `port` that may
    /// be reached; an error saying why if there are none.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = match literal.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| format!("host {host} does not resolve: {e}"))?
                .collect(),
        };
        let mut why = None;
        let ok: Vec<SocketAddr> = addrs
            .into_iter()
            .filter(|a| match self.refuses(a.ip()) {
                Some(w) => {
                    why = Some(format!("{} is {w}", a.ip()));
                    false
                }
                None => true,
            })
            .collect();
        if ok.is_empty() {
            return Err(format!(
                "host {host} may not receive webhooks: {} (an operator may allow a network with --webhooks-allow-net)",
                why.unwrap_or_else(|| "it has no address".into())
            ));
        }
        Ok(ok)
    }
}

/// Why `ip` is not a public address, if it is not.
pub fn non_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => non_public_v4(v4),
            None => non_public_v6(v6),
        },
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("a private address")
    } else if ip.is_link_local() {
        Some("link-local (the cloud metadata service lives there)")
    } else if a == 100 && (b & 0xc0) == 64 {
        Some("shared address space (carrier-grade NAT)")
    } else if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if ip.is_broadcast() || ip.is_multicast() || a >= 240 {
        Some("broadcast, multicast or reserved")
    } else {
        None
    }
}

fn non_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() {
        Some("unspecified")
    } else if (first & 0xfe00) == 0xfc00 {
        Some("unique-local")
    } else if (first & 0xffc0) == 0xfe80 {
        Some("link-local")
    } else if ip.is_multicast() {
        Some("multicast")
    } else {
        None
    }
}

/// The resolver of the delivery client: only addresses the policy permits
/// reach the connector.
#[derive(Debug, Clone)]
pub(crate) struct GuardedResolver(pub(crate) EgressPolicy);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let ok = policy
                .resolve(name.as_str(), 0)
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.into() })?;
            let addrs: reqwest::dns::Addrs = Box::new(ok.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_loopback_link_local_metadata_and_unique_local_are_refused() {
        let p = EgressPolicy::default();
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(p.refuses(ip(bad)).is_some(), "{bad} must be refused");
        }
        for good in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "100.128.0.1"] {
            assert_eq!(p.refuses(ip(good)), None, "{good} is public");
        }
    }

    #[test]
    fn an_allowed_network_is_reachable_and_nothing_else_is() {
        let p = EgressPolicy::new(vec!["127.0.0.0/8".parse().unwrap()]);
        assert_eq!(p.refuses(ip("127.0.0.1")), None);
        assert!(p.refuses(ip("10.0.0.1")).is_some());
        assert!(
            p.refuses(ip("::1")).is_some(),
            "v6 loopback is not in 127/8"
        );
    }

    #[tokio::test]
    async fn literals_and_names_are_checked_by_their_addresses() {
        let p = EgressPolicy::default();
        let e = p.resolve("169.254.169.254", 80).await.unwrap_err();
        assert!(e.contains("169.254.169.254 is link-local"), "{e}");
        assert!(p.resolve("[::1]", 80).await.is_err());
        let e = p.resolve("localhost", 80).await.unwrap_err();
        assert!(e.contains("loopback"), "{e}");
        assert!(p.check_host("localhost", 80).await.is_err());
        assert!(p.check_host("10.0.0.7", 80).await.is_err());
        assert!(p.check_host("93.184.216.34", 80).await.is_ok());
        let allowed = EgressPolicy::new(vec![
            "127.0.0.0/8".parse().unwrap(),
            "::1/128".parse().unwrap(),
        ]);
        assert!(!allowed.resolve("localhost", 80).await.unwrap().is_empty());
    }
}
