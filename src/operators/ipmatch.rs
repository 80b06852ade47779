//! `@ipMatch`, `@ipMatchFromFile` (`@ipMatchF`) and `@ipMatchFromDataset`:
//! the input is an IPv4/IPv6 address inside one of the listed addresses or
//! CIDR networks.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

use super::{dataset, read_data_file, OpContext, Operator};

/// One network: address bits and prefix length.
#[derive(Debug, Clone, Copy)]
enum Net {
    V4(u32, u8),
    V6(u128, u8),
}

impl Net {
    fn parse(entry: &str) -> Result<Net, String> {
        let bad = || format!("invalid IP address or network {entry:?}");
        let (addr, prefix) = match entry.split_once('/') {
            Some((a, p)) => (a.trim(), Some(p.trim().parse::<u8>().map_err(|_| bad())?)),
            None => (entry, None),
        };
        match addr.parse::<IpAddr>().map_err(|_| bad())? {
            IpAddr::V4(a) => {
                let p = prefix.unwrap_or(32);
                if p > 32 {
                    return Err(bad());
                }
                Ok(Net::V4(u32::from(a), p))
            }
            IpAddr::V6(a) => {
                let p = prefix.unwrap_or(128);
                if p > 128 {
                    return Err(bad());
                }
                Ok(Net::V6(u128::from(a), p))
            }
        }
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (*self, ip) {
            (Net::V4(net, p), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(p)).unwrap_or(0);
                (u32::from(a) & mask) == (net & mask)
            }
            (Net::V6(net, p), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(p)).unwrap_or(0);
                (u128::from(a) & mask) == (net & mask)
            }
            _ => false,
        }
    }
}

/// A compiled list of networks.
#[derive(Debug)]
pub struct IpMatch {
    nets: Vec<Net>,
}

impl IpMatch {
    fn new<'e>(entries: impl IntoIterator<Item = &'e str>, what: &str) -> Result<IpMatch, String> {
        let nets = entries
            .into_iter()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(Net::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{what}: {e}"))?;
        if nets.is_empty() {
            return Err(format!("{what}: no addresses"));
        }
        Ok(IpMatch { nets })
    }

    /// `@ipMatch`: comma-separated addresses/networks.
    pub fn from_arg(arg: &str) -> Result<IpMatch, String> {
        IpMatch::new(arg.split(','), "@ipMatch")
    }

    /// `@ipMatchFromFile`: one address/network per line.
    pub fn from_file(arg: &str, rule_dir: &Path) -> Result<IpMatch, String> {
        let lines = read_data_file(arg.trim(), rule_dir)?;
        IpMatch::new(
            lines.iter().map(String::as_str),
            &format!("@ipMatchFromFile {arg}"),
        )
    }

    /// `@ipMatchFromDataset`: entries of a `SecDataset`.
    pub fn from_dataset(
        arg: &str,
        datasets: &HashMap<String, Vec<String>>,
    ) -> Result<IpMatch, String> {
        let entries = dataset(arg, datasets)?;
        IpMatch::new(
            entries.iter().map(String::as_str),
            &format!("@ipMatchFromDataset {arg}"),
        )
    }
}

impl Operator for IpMatch {
    fn evaluate(&self, _ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        let Ok(text) = std::str::from_utf8(input) else {
            return false;
        };
        let Ok(ip) = text.trim().parse::<IpAddr>() else {
            return false;
        };
        self.nets.iter().any(|n| n.contains(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::testutil::*;
    use crate::operators::{build, OperatorInit};

    #[test]
    fn vectors() {
        let o = op(
            "ipMatch",
            "127.0.0.1, 10.0.0.0/8,192.168.1.0/24, ::1, 2001:db8::/32",
        );
        assert!(eval(&*o, b"127.0.0.1"));
        assert!(!eval(&*o, b"127.0.0.2"));
        assert!(eval(&*o, b"10.200.3.4"));
        assert!(eval(&*o, b"192.168.1.77"));
        assert!(!eval(&*o, b"192.168.2.1"));
        assert!(eval(&*o, b"::1"));
        assert!(eval(&*o, b"2001:db8:1::5"));
        assert!(!eval(&*o, b"2001:db9::5"));
        assert!(!eval(&*o, b"not an ip"));
        assert!(!eval(&*o, b"\xff"));
        assert!(eval(&*op("ipMatch", "0.0.0.0/0"), b"8.8.8.8"));
        assert!(try_op("ipMatch", "1.2.3.4/33").is_err());
        assert!(try_op("ipMatch", "nonsense").is_err());
    }

    #[test]
    fn from_file_and_dataset() {
        let dir = std::env::temp_dir().join(format!("iptest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ips.txt"), "# list\n1.2.3.0/24\n\n::2\n").unwrap();
        let mut ds = HashMap::new();
        ds.insert("ips".to_string(), vec!["5.6.7.8".to_string()]);
        let mk = |name: &str, arg: &str| {
            build(&OperatorInit {
                name,
                arg,
                rule_dir: &dir,
                datasets: &ds,
            })
        };
        let o = mk("ipMatchFromFile", "ips.txt").unwrap();
        assert!(eval(&*o, b"1.2.3.9"));
        assert!(eval(&*o, b"::2"));
        assert!(!eval(&*o, b"1.2.4.9"));
        assert!(mk("ipMatchF", "nope.txt").unwrap_err().contains("nope.txt"));
        let o = mk("ipMatchFromDataset", "ips").unwrap();
        assert!(eval(&*o, b"5.6.7.8"));
        assert!(!eval(&*o, b"5.6.7.9"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
