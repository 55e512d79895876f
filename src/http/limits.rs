//! What the public survey endpoints count to bound what an unauthenticated caller can make
//! the service store: submissions per client network per minute (an IPv4 address, or an IPv6
//! /64, which one subscriber usually holds whole), and responses per survey per clock hour.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// The key a client's submissions are counted under: an IPv4 address as it is (an IPv6
/// form of one, `::ffff:a.b.c.d`, as that address), an IPv6 address by its /64.
pub fn network_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(bits))
            }
        },
    }
}

const HOUR_SECS: i64 = 3600;

/// Responses taken per survey in the current clock hour, in this process.
#[derive(Default)]
pub struct SurveyHours {
    /// Survey id → (hour since the epoch, responses taken in it).
    counts: Mutex<HashMap<String, (i64, u32)>>,
}

impl SurveyHours {
    /// Takes one response for `survey` at `now` if fewer than `cap` were taken this hour;
    /// otherwise the seconds until the hour ends (at least 1), for `Retry-After`.
    pub fn take(&self, survey: &str, cap: u32, now: DateTime<Utc>) -> Result<(), u64> {
        let secs = now.timestamp();
        let hour = secs.div_euclid(HOUR_SECS);
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let entry = counts.entry(survey.to_owned()).or_insert((hour, 0));
        if entry.0 != hour {
            *entry = (hour, 0);
        }
        if entry.1 >= cap {
            let left = (hour + 1) * HOUR_SECS - secs;
            return Err(left.max(1) as u64);
        }
        entry.1 += 1;
        Ok(())
    }

    /// Forgets the surveys counted in an hour before `now`'s.
    pub fn forget_past(&self, now: DateTime<Utc>) {
        let hour = now.timestamp().div_euclid(HOUR_SECS);
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.retain(|_, (h, _)| *h == hour);
        counts.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ipv6_counts_by_slash_64_and_mapped_v4_as_v4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(network_key(a), network_key(b));
        assert_ne!(network_key(a), network_key(c));
        assert_eq!(network_key(a), "2001:db8:1:2::".parse::<IpAddr>().unwrap());
        let mapped: IpAddr = "::ffff:203.0.113.9".parse().unwrap();
        assert_eq!(
            network_key(mapped),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        let v4: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(network_key(v4), v4);
        assert_ne!(
            network_key(v4),
            network_key("203.0.113.10".parse().unwrap())
        );
    }

    #[test]
    fn an_hour_takes_its_cap_then_says_when_it_ends() {
        let hours = SurveyHours::default();
        let t = Utc.with_ymd_and_hms(2026, 12, 6, 10, 59, 30).unwrap();
        for _ in 0..3 {
            assert_eq!(hours.take("s", 3, t), Ok(()));
        }
        assert_eq!(hours.take("s", 3, t), Err(30));
        assert_eq!(
            hours.take("other", 3, t),
            Ok(()),
            "each survey counts alone"
        );
        let next = Utc.with_ymd_and_hms(2026, 12, 6, 11, 0, 0).unwrap();
        assert_eq!(
            hours.take("s", 3, next),
            Ok(()),
            "a new hour starts from zero"
        );
        hours.forget_past(next);
        assert_eq!(hours.counts.lock().unwrap().len(), 1);
    }
}
