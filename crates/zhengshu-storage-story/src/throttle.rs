//! Stories of attempt throttling: reservations counted before a password is
//! checked, holding their limit however many arrive at once, refused with
//! the oldest attempt in the window, and released by a success.

use jiff::SignedDuration;
use zhengshu_storage::{Reservation, Storage, ThrottleRule};

use crate::{T0, at, seed_reference};

fn rules(pair: i64, account: i64) -> Vec<ThrottleRule> {
    vec![
        ThrottleRule {
            key: "pair:demo:abc".into(),
            limit: pair,
        },
        ThrottleRule {
            key: "account:demo".into(),
            limit: account,
        },
    ]
}

pub async fn sixty_simultaneous_reservations_get_five_slots(s: &dyn Storage) {
    seed_reference(s).await;
    let t0 = at(T0);
    let since = t0 - SignedDuration::from_mins(15);
    let rules = rules(5, 50);
    let answers =
        futures_util::future::join_all((0..60).map(|_| s.reserve_attempt(&rules, since, t0))).await;
    let mut granted = Vec::new();
    for a in answers {
        match a.expect("no database error under contention") {
            Reservation::Granted(ids) => {
                assert_eq!(ids.len(), 2, "one row per key");
                granted.push(ids);
            }
            Reservation::Refused { oldest } => assert_eq!(oldest, t0),
        }
    }
    assert_eq!(granted.len(), 5);
    for key in ["pair:demo:abc", "account:demo"] {
        assert_eq!(s.login_failures(key, since).await.unwrap().count, 5);
    }
    // A success gives its slot back; the others stay counted.
    s.release_attempt(&granted[0]).await.unwrap();
    assert_eq!(
        s.login_failures("account:demo", since).await.unwrap().count,
        4
    );
    let later = t0 + SignedDuration::from_mins(1);
    assert!(matches!(
        s.reserve_attempt(&rules, since, later).await.unwrap(),
        Reservation::Granted(_)
    ));
    assert_eq!(
        s.reserve_attempt(&rules, since, later).await.unwrap(),
        Reservation::Refused { oldest: t0 }
    );
    // Attempts before `since` no longer count.
    let next_window = t0 + SignedDuration::from_millis(1);
    assert!(matches!(
        s.reserve_attempt(&rules, next_window, later).await.unwrap(),
        Reservation::Granted(_)
    ));
}
