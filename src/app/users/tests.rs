//! Tests.

use super::*;
use std::sync::atomic::{AtomicI64, Ordering};

fn auth_at(clock: Arc<AtomicI64>) -> (tempfile::TempDir, Auth) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let auth = Auth::with_clock(
        store,
        AuthSettings {
            idle: Duration::from_secs(600),
            absolute: Duration::from_secs(3600),
        },
        Arc::new(move || clock.load(Ordering::SeqCst)),
    );
    (dir, auth)
}

fn clock() -> Arc<AtomicI64> {
    Arc::new(AtomicI64::new(1_000_000))
}

#[test]
fn passwords_are_stored_as_argon2id_and_checked() {
    let (_dir, auth) = auth_at(clock());
    auth.add_user("ann", Role::Rep, Some("correct horse battery"))
        .unwrap();
    let stored = auth.store.get_user("ann").unwrap().unwrap();
    assert!(
        stored.password_hash.starts_with("$argon2id$"),
        "{}",
        stored.password_hash
    );
    assert!(!stored.password_hash.contains("correct horse"));
    assert!(auth
        .login("ann", "correct horse battery", "c", None)
        .is_ok());
    assert!(matches!(
        auth.login("ann", "wrong password!", "c", None),
        Err(AuthError::BadCredentials)
    ));
    assert!(matches!(
        auth.login("nobody", "whatever123", "c", None),
        Err(AuthError::BadCredentials)
    ));
}

#[test]
fn a_generated_password_is_returned_once_and_works() {
    let (_dir, auth) = auth_at(clock());
    let password = auth.add_user("ann", Role::Admin, None).unwrap().unwrap();
    assert_eq!(password.chars().count(), 20);
    assert!(auth.login("ann", &password, "c", None).is_ok());
    assert!(matches!(
        auth.add_user("ann", Role::Rep, None),
        Err(AuthError::Exists(_))
    ));
}

#[test]
fn bad_names_and_short_passwords_are_refused_with_the_field() {
    let (_dir, auth) = auth_at(clock());
    let err = auth.add_user("a b", Role::Rep, None).unwrap_err();
    assert!(
        matches!(err, AuthError::Invalid { field: "name", .. }),
        "{err}"
    );
    let err = auth.add_user("ann", Role::Rep, Some("short")).unwrap_err();
    assert!(
        matches!(
            err,
            AuthError::Invalid {
                field: "password",
                ..
            }
        ),
        "{err}"
    );
    assert!(
        auth.add_user("张伟", Role::Rep, None).is_ok(),
        "Chinese names are names"
    );
}

#[test]
fn sessions_end_on_logout_password_change_disable_idle_and_age() {
    let now = clock();
    let (_dir, auth) = auth_at(now.clone());
    auth.add_user("ann", Role::Rep, Some("a long password"))
        .unwrap();
    let login = || {
        auth.login("ann", "a long password", "c", None)
            .unwrap()
            .secret
    };

    let s = login();
    assert_eq!(auth.session(&s).unwrap().unwrap().principal.user, "ann");
    auth.logout(&s).unwrap();
    assert!(auth.session(&s).unwrap().is_none(), "logout");

    let s = login();
    auth.set_password("ann", Some("another long one")).unwrap();
    assert!(auth.session(&s).unwrap().is_none(), "password change");

    let s = auth
        .login("ann", "another long one", "c", None)
        .unwrap()
        .secret;
    auth.set_disabled("ann", true).unwrap();
    assert!(auth.session(&s).unwrap().is_none(), "disabled");
    assert!(matches!(
        auth.login("ann", "another long one", "c", None),
        Err(AuthError::BadCredentials)
    ));
    auth.set_disabled("ann", false).unwrap();

    let s = auth
        .login("ann", "another long one", "c", None)
        .unwrap()
        .secret;
    now.fetch_add(500, Ordering::SeqCst);
    assert!(
        auth.session(&s).unwrap().is_some(),
        "used within the idle time"
    );
    now.fetch_add(500, Ordering::SeqCst);
    assert!(
        auth.session(&s).unwrap().is_some(),
        "each use restarts the idle clock"
    );
    now.fetch_add(601, Ordering::SeqCst);
    assert!(auth.session(&s).unwrap().is_none(), "idle too long");

    let s = auth
        .login("ann", "another long one", "c", None)
        .unwrap()
        .secret;
    for _ in 0..8 {
        now.fetch_add(500, Ordering::SeqCst);
        let _ = auth.session(&s).unwrap();
    }
    assert!(
        auth.session(&s).unwrap().is_none(),
        "older than the absolute limit"
    );
}

#[test]
fn failed_logins_are_throttled_per_name_and_per_client() {
    let now = clock();
    let (_dir, auth) = auth_at(now.clone());
    auth.add_user("ann", Role::Rep, Some("a long password"))
        .unwrap();
    for _ in 0..MAX_FAILURES_PER_USER {
        assert!(matches!(
            auth.login("ann", "wrong guess!!", "1.1.1.1", None),
            Err(AuthError::BadCredentials)
        ));
    }
    // Even the right password waits now, from any client.
    let err = auth
        .login("ann", "a long password", "2.2.2.2", None)
        .unwrap_err();
    assert!(
        matches!(err, AuthError::Throttled { retry_after_secs } if retry_after_secs > 0),
        "{err}"
    );
    now.fetch_add(THROTTLE_WINDOW.as_secs() as i64, Ordering::SeqCst);
    assert!(
        auth.login("ann", "a long password", "2.2.2.2", None)
            .is_ok(),
        "the window passed"
    );

    // One client trying many names.
    for i in 0..MAX_FAILURES_PER_CLIENT {
        let _ = auth.login(&format!("user{i}"), "wrong guess!!", "3.3.3.3", None);
    }
    assert!(matches!(
        auth.login("ann", "a long password", "3.3.3.3", None),
        Err(AuthError::Throttled { .. })
    ));
    assert!(auth
        .login("ann", "a long password", "4.4.4.4", None)
        .is_ok());
}

#[test]
fn tokens_are_stored_hashed_listed_and_revocable_by_their_owner() {
    let (_dir, auth) = auth_at(clock());
    auth.add_user("ann", Role::Manager, None).unwrap();
    auth.add_user("bob", Role::Rep, None).unwrap();
    let new = auth.create_token("ann", "nightly export").unwrap();
    assert!(new.token.starts_with("pbt_"));
    assert_eq!(
        auth.token(&new.token).unwrap().unwrap(),
        Principal::new("ann", Role::Manager)
    );
    let listed = auth.list_tokens("ann").unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].label, "nightly export");
    let stored = format!("{:?}", auth.store.list_api_tokens(None).unwrap());
    assert!(!stored.contains(&new.token), "the secret is not stored");
    assert!(matches!(
        auth.revoke_token("bob", &new.info.id),
        Err(AuthError::NoSuchToken(_))
    ));
    auth.revoke_token("ann", &new.info.id).unwrap();
    assert!(auth.token(&new.token).unwrap().is_none());
}

#[test]
fn changing_ones_password_ends_every_way_in_but_the_callers_new_session() {
    let (_dir, auth) = auth_at(clock());
    auth.add_user("ann", Role::Rep, Some("a long password"))
        .unwrap();
    let s = auth
        .login("ann", "a long password", "c", None)
        .unwrap()
        .secret;
    let token = auth.create_token("ann", "script").unwrap().token;
    let err = auth
        .change_password("ann", "not the password", "a new passphrase", "c")
        .unwrap_err();
    assert!(matches!(err, AuthError::BadCredentials), "{err}");
    assert!(
        auth.session(&s).unwrap().is_some() && auth.token(&token).unwrap().is_some(),
        "a refused change ends nothing"
    );

    let fresh = auth
        .change_password("ann", "a long password", "a new passphrase", "c")
        .unwrap();

    assert!(auth.session(&s).unwrap().is_none(), "old sessions end");
    assert!(auth.token(&token).unwrap().is_none(), "tokens are revoked");
    let info = auth
        .session(&fresh.secret)
        .unwrap()
        .expect("the new session");
    assert_eq!(info.principal.user, "ann");
    assert_eq!(info.csrf, fresh.info.csrf);
    assert_eq!(
        auth.store.remove_sessions_where(|_| true).unwrap(),
        1,
        "the caller's new session is the only one"
    );
    assert!(auth.login("ann", "a new passphrase", "c", None).is_ok());
}

#[test]
fn an_admins_password_reset_revokes_the_users_tokens_too() {
    let (_dir, auth) = auth_at(clock());
    auth.add_user("ann", Role::Rep, Some("a long password"))
        .unwrap();
    let token = auth.create_token("ann", "script").unwrap().token;
    auth.set_password("ann", None).unwrap();
    assert!(auth.token(&token).unwrap().is_none());
}

#[test]
fn a_sign_in_ends_the_session_it_arrived_with() {
    let (_dir, auth) = auth_at(clock());
    auth.add_user("ann", Role::Rep, Some("a long password"))
        .unwrap();
    auth.add_user("bob", Role::Rep, Some("another password"))
        .unwrap();
    let anns = auth
        .login("ann", "a long password", "c", None)
        .unwrap()
        .secret;
    let other = auth
        .login("ann", "a long password", "c", None)
        .unwrap()
        .secret;

    let refused = auth.login("bob", "not his password", "c", Some(&anns));
    let bobs = auth
        .login("bob", "another password", "c", Some(&anns))
        .unwrap()
        .secret;

    assert!(matches!(refused, Err(AuthError::BadCredentials)));
    assert!(auth.session(&anns).unwrap().is_none(), "replaced");
    assert!(auth.session(&bobs).unwrap().is_some());
    assert!(
        auth.session(&other).unwrap().is_some(),
        "other browsers keep theirs"
    );
}

#[test]
fn an_attempt_counts_before_its_check_and_a_success_gives_the_clients_back() {
    let (_dir, auth) = auth_at(clock());
    auth.add_user("ann", Role::Rep, Some("a long password"))
        .unwrap();
    let failures = |key: &str| {
        auth.failures
            .lock()
            .unwrap()
            .get(key)
            .map_or(0, |f| f.count)
    };
    // Counted under the lock, before any check: the sixth of six concurrent attempts
    // would see five.
    for _ in 0..MAX_FAILURES_PER_USER {
        auth.count_attempt([("user:ann", MAX_FAILURES_PER_USER)], 1_000_000)
            .unwrap();
    }
    assert!(matches!(
        auth.count_attempt([("user:ann", MAX_FAILURES_PER_USER)], 1_000_000),
        Err(AuthError::Throttled { .. })
    ));
    auth.failures.lock().unwrap().clear();

    auth.login("ann", "wrong password", "c", None).unwrap_err();
    assert_eq!((failures("user:ann"), failures("client:c")), (1, 1));
    auth.login("ann", "a long password", "c", None).unwrap();
    assert_eq!(
        (failures("user:ann"), failures("client:c")),
        (0, 1),
        "a success clears the name and gives the client its attempt back"
    );
}

#[test]
fn the_password_gate_runs_at_most_its_slots_at_once_and_refuses_past_its_queue() {
    use std::sync::atomic::AtomicUsize;
    let gate = Arc::new(PasswordGate::new(2, 3, Duration::from_secs(30)));
    let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (release, released) = std::sync::mpsc::channel::<()>();
    let released = Arc::new(Mutex::new(released));
    // Two running, held until released; then three waiting. One caller at a time, so
    // that the queue fills only once the threads are busy.
    let callers: Vec<_> = (0..5)
        .map(|n| {
            let (gate, running, most, released) = (
                gate.clone(),
                running.clone(),
                most.clone(),
                released.clone(),
            );
            let caller = {
                let (gate, running) = (gate.clone(), running.clone());
                std::thread::spawn(move || {
                    gate.run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        released.lock().unwrap().recv().unwrap();
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                })
            };
            while running.load(Ordering::SeqCst) + gate.waiting() < n + 1 {
                std::thread::sleep(Duration::from_millis(2));
            }
            caller
        })
        .collect();
    assert_eq!((running.load(Ordering::SeqCst), gate.waiting()), (2, 3));

    let refused = gate.run(|| ());

    assert!(matches!(refused, Err(AuthError::Busy { retry_after_secs }) if retry_after_secs > 0));
    for _ in 0..5 {
        release.send(()).unwrap();
    }
    for caller in callers {
        assert!(caller.join().unwrap().is_ok(), "every queued one ran");
    }
    assert_eq!(most.load(Ordering::SeqCst), 2, "never more than the slots");
    assert_eq!(gate.waiting(), 0);
}

#[test]
fn work_that_waited_past_the_limit_is_not_started_and_its_caller_hears_busy() {
    let gate = Arc::new(PasswordGate::new(1, 10, Duration::from_millis(50)));
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (started_tx, started) = std::sync::mpsc::channel::<()>();
    let holder = {
        let gate = gate.clone();
        std::thread::spawn(move || {
            gate.run(move || {
                started_tx.send(()).unwrap();
                released.recv().unwrap()
            })
        })
    };
    started.recv().unwrap();
    let late = {
        let gate = gate.clone();
        std::thread::spawn(move || gate.run(|| "ran"))
    };
    std::thread::sleep(Duration::from_millis(100));

    release.send(()).unwrap();

    assert!(holder.join().unwrap().is_ok());
    assert!(matches!(late.join().unwrap(), Err(AuthError::Busy { .. })));
    assert_eq!(gate.run(|| "ran").unwrap(), "ran", "free again");
}

#[test]
fn hashes_are_the_argon2_crates_own_format_both_ways() {
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};
    let ours = hash_password("correct horse battery").unwrap();
    let parsed = PasswordHash::new(&ours).unwrap();
    assert!(Argon2::default()
        .verify_password(b"correct horse battery", &parsed)
        .is_ok());
    assert!(
        ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{ours}"
    );

    let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap();
    let theirs = Argon2::default()
        .hash_password(b"correct horse battery", &salt)
        .unwrap()
        .to_string();
    assert!(verify_password("correct horse battery", &theirs));
    assert!(!verify_password("correct horse batterz", &theirs));
    assert!(!verify_password(
        "correct horse battery",
        "$argon2id$v=19$garbage"
    ));
    assert!(!verify_password("x", ""));
    let greedy = theirs.replace("m=19456", "m=1048576");
    assert!(
        !verify_password("correct horse battery", &greedy),
        "1 GiB is refused"
    );
}

#[test]
fn generated_passwords_differ_and_use_the_alphabet() {
    let a = generate_password();
    let b = generate_password();
    assert_ne!(a, b);
    assert!(a
        .chars()
        .all(|c| c.is_ascii_alphanumeric() && !"0O1lI".contains(c)));
}

#[test]
fn an_admin_may_change_others_but_never_lock_themselves_out() {
    let (_dir, auth) = auth_at(clock());
    auth.add_user("root", Role::Admin, Some("correct horse battery"))
        .unwrap();
    auth.add_user("ann", Role::Rep, Some("correct horse battery"))
        .unwrap();
    for change in [
        UserChange {
            disabled: Some(true),
            ..UserChange::default()
        },
        UserChange {
            role: Some(Role::Manager),
            ..UserChange::default()
        },
    ] {
        assert!(matches!(
            auth.change_user("root", "root", change),
            Err(AuthError::DemoteSelf)
        ));
    }
    let root = auth.user("root").unwrap().unwrap();
    assert_eq!((root.role, root.disabled), (Role::Admin, false));
    // Keeping one's own admin role while changing one's profile is fine.
    let same_role = UserChange {
        role: Some(Role::Admin),
        region: Some("华东".into()),
        ..UserChange::default()
    };
    assert!(auth.change_user("root", "root", same_role).is_ok());
    let (ann, password) = auth
        .change_user(
            "root",
            "ann",
            UserChange {
                role: Some(Role::Manager),
                password: Some(String::new()),
                ..UserChange::default()
            },
        )
        .unwrap();
    assert_eq!(ann.role, Role::Manager);
    let password = password.expect("an empty password asks for a generated one");
    assert!(auth.login("ann", &password, "c", None).is_ok());
    assert!(matches!(
        auth.change_user("root", "nobody", UserChange::default()),
        Err(AuthError::NoSuchUser(_))
    ));
}

#[test]
fn the_last_enabled_admin_can_be_neither_disabled_nor_demoted() {
    let (_dir, auth) = auth_at(clock());
    for (name, role) in [
        ("root", Role::Admin),
        ("ops", Role::Admin),
        ("ann", Role::Rep),
    ] {
        auth.add_user(name, role, Some("correct horse battery"))
            .unwrap();
    }
    let disable = || UserChange {
        disabled: Some(true),
        ..UserChange::default()
    };
    let demote = || UserChange {
        role: Some(Role::Manager),
        ..UserChange::default()
    };
    // Two admins: one may disable the other.
    auth.change_user("root", "ops", disable()).unwrap();
    // Now root is the last enabled admin; acting as ops (say, a request that was already on
    // its way), neither change goes through.
    for change in [disable(), demote()] {
        assert!(
            matches!(auth.change_user("ops", "root", change), Err(AuthError::LastAdmin(ref n)) if n == "root")
        );
    }
    let root = auth.user("root").unwrap().unwrap();
    assert_eq!((root.role, root.disabled), (Role::Admin, false));
    // Changes that leave an admin are fine: another user's role, root's profile.
    auth.change_user("root", "ann", demote()).unwrap();
    auth.change_user(
        "ops",
        "root",
        UserChange {
            region: Some("华北".into()),
            ..UserChange::default()
        },
    )
    .unwrap();
    // With ops enabled again, root may be demoted by ops.
    auth.change_user(
        "root",
        "ops",
        UserChange {
            disabled: Some(false),
            ..UserChange::default()
        },
    )
    .unwrap();
    auth.change_user("ops", "root", demote()).unwrap();
    assert_eq!(auth.user("root").unwrap().unwrap().role, Role::Manager);
}

#[test]
fn a_user_added_with_a_profile_has_it_and_empty_fields_stay_unset() {
    let (_dir, auth) = auth_at(clock());
    let (ann, generated) = auth
        .add_user_with_profile(" ann ", Role::Rep, None, Some("销售代表 L1"), Some(" "))
        .unwrap();
    assert_eq!(ann.name, "ann");
    assert_eq!(ann.position.as_deref(), Some("销售代表 L1"));
    assert_eq!(ann.region, None);
    let password = generated.expect("no password given: one is generated");
    assert!(auth.login("ann", &password, "c", None).is_ok());
    let (bob, generated) = auth
        .add_user_with_profile(
            "bob",
            Role::Manager,
            Some("correct horse battery"),
            None,
            None,
        )
        .unwrap();
    assert_eq!(
        (bob.role, bob.position, generated),
        (Role::Manager, None, None)
    );
    assert!(matches!(
        auth.add_user_with_profile("bob", Role::Rep, None, None, None),
        Err(AuthError::Exists(_))
    ));
}
