//! Unit tests of the walk: profile selection, the env source, the file sources, role plans and
//! the action hand-off. Expected values come from botocore's behaviour (spec §0.1, §1–§3.7,
//! §8), several of which the differential test (`tests/chain_botocore.rs`) also checks against
//! botocore itself.

use super::*;

const NO_IMDS: (&str, &str) = ("AWS_EC2_METADATA_DISABLED", "true");

fn file(bytes: &[u8]) -> FileInput<'_> {
    FileInput::Contents { path: "f", bytes }
}

fn done<'a>(walk: &mut Walk<'a>) -> Resolution<'a> {
    match walk.next_step() {
        Step::Done(r) => r,
        Step::Run(a) => panic!("unexpected action {a:?}"),
    }
}

/// Runs the walk to its role work and returns it; panics on anything else.
fn role_work<'a>(walk: &mut Walk<'a>) -> RoleWork<'a> {
    match walk.next_step() {
        Step::Run(Action::Role(w)) => w,
        other => panic!("expected role work, got {other:?}"),
    }
}

/// The class of the error a role step failure becomes.
fn role_failure_class(walk: &mut Walk<'_>, kind: RoleFailureKind) -> &'static str {
    let Step::Done(r) = walk.report_role(Err(RoleFailure {
        step: RoleStep::Hop { index: 1, of: 1 },
        kind,
    })) else {
        panic!()
    };
    error_kind(&r).botocore_class()
}

fn source_of(r: &Resolution<'_>) -> Option<Source> {
    match r {
        Resolution::Credentials { source, .. } | Resolution::Delivered { source } => Some(*source),
        _ => None,
    }
}

fn error_kind<'a>(r: &Resolution<'a>) -> ErrorKind<'a> {
    match r {
        Resolution::Failed(e) => e.kind,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn profile_selection() {
    let p = select_profile(None, &[("AWS_PROFILE", "a"), ("AWS_DEFAULT_PROFILE", "b")]);
    assert_eq!((p.name, p.origin), ("b", ProfileOrigin::AwsDefaultProfile));
    let p = select_profile(Some("x"), &[("AWS_PROFILE", "a")]);
    assert_eq!((p.name, p.origin), ("x", ProfileOrigin::Explicit));
    let p = select_profile(None, &[("AWS_PROFILE", "")]);
    assert_eq!((p.name, p.effective()), ("", "default"));
    let p = select_profile(None, &NoEnv);
    assert_eq!((p.name, p.origin.is_named()), ("default", false));
}

#[test]
fn named_missing_profile_is_an_error_before_env() {
    // Even with env keys, and even for `default` when it is named (spec §0.1).
    for name in ["nope", "default", ""] {
        let env = [
            ("AWS_PROFILE", name),
            ("AWS_ACCESS_KEY_ID", "AK"),
            ("AWS_SECRET_ACCESS_KEY", "SK"),
            NO_IMDS,
        ];
        let mut w = Walk::new(Inputs::new(&env));
        let r = done(&mut w);
        assert!(matches!(error_kind(&r), ErrorKind::ProfileNotFound { name: n } if n == name));
        assert!(w.trace().is_empty());
    }
    // Unnamed and missing `default`: fine.
    let env = [NO_IMDS];
    let mut w = Walk::new(Inputs::new(&env));
    assert!(matches!(done(&mut w), Resolution::NoCredentials));
    assert_eq!(w.trace().len(), Source::ORDER.len());
}

#[test]
fn env_source() {
    let env = [
        ("AWS_ACCESS_KEY_ID", "AK"),
        ("AWS_SECRET_ACCESS_KEY", "SK"),
        ("AWS_SESSION_TOKEN", "session"),
        ("AWS_SECURITY_TOKEN", "security"),
        ("AWS_CREDENTIAL_EXPIRATION", "2030-01-02T03:04:05Z"),
        ("AWS_ACCOUNT_ID", "123"),
    ];
    let mut w = Walk::new(Inputs::new(&env));
    let Resolution::Credentials {
        source: Source::Env,
        credentials: c,
    } = done(&mut w)
    else {
        panic!()
    };
    assert!(c.access_key_id.eq_str("AK"));
    assert!(c.session_token.unwrap().eq_str("security"));
    assert_eq!(c.expiry.unwrap().unix_secs(), 1_893_553_445);
    assert!(c.account_id.unwrap().eq_str("123"));

    // An empty security token counts as unset.
    let env = [
        ("AWS_ACCESS_KEY_ID", "AK"),
        ("AWS_SECRET_ACCESS_KEY", "SK"),
        ("AWS_SECURITY_TOKEN", ""),
        ("AWS_SESSION_TOKEN", "session"),
    ];
    let mut w = Walk::new(Inputs::new(&env));
    let Resolution::Credentials { credentials: c, .. } = done(&mut w) else {
        panic!()
    };
    assert!(c.session_token.unwrap().eq_str("session"));

    // Partial: missing or empty secret.
    for env in [
        &[("AWS_ACCESS_KEY_ID", "AK")][..],
        &[("AWS_ACCESS_KEY_ID", "AK"), ("AWS_SECRET_ACCESS_KEY", "")][..],
    ] {
        let mut w = Walk::new(Inputs::new(&env));
        let r = done(&mut w);
        assert_eq!(error_kind(&r).botocore_class(), "PartialCredentialsError");
        let mut buf = [0u8; 128];
        let mut wr = crate::buf::Writer::new(&mut buf);
        core::fmt::write(&mut wr, format_args!("{}", error_kind(&r))).unwrap();
        assert_eq!(
            wr.finish().unwrap(),
            "Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY"
        );
    }
    // An empty access key: nothing here.
    let env = [
        ("AWS_ACCESS_KEY_ID", ""),
        ("AWS_SECRET_ACCESS_KEY", "SK"),
        NO_IMDS,
    ];
    let mut w = Walk::new(Inputs::new(&env));
    assert!(matches!(done(&mut w), Resolution::NoCredentials));
    // A bad expiration stops the chain.
    let env = [
        ("AWS_ACCESS_KEY_ID", "AK"),
        ("AWS_SECRET_ACCESS_KEY", "SK"),
        ("AWS_CREDENTIAL_EXPIRATION", "soon"),
    ];
    let mut w = Walk::new(Inputs::new(&env));
    assert_eq!(error_kind(&done(&mut w)).botocore_class(), "ParserError");
}

#[test]
fn explicit_profile_disables_env_and_web_identity_env() {
    let env = [
        ("AWS_ACCESS_KEY_ID", "AK"),
        ("AWS_SECRET_ACCESS_KEY", "SK"),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", "/t"),
        ("AWS_ROLE_ARN", "arn:aws:iam::1:role/r"),
        NO_IMDS,
    ];
    let config = b"[profile p]\naws_access_key_id = FILEKEY\naws_secret_access_key = s\n";
    // Through AWS_PROFILE the env keys still win.
    let env2 = [env[0], env[1], ("AWS_PROFILE", "p"), NO_IMDS];
    let mut w = Walk::new(Inputs {
        config: file(config),
        ..Inputs::new(&env2)
    });
    assert_eq!(source_of(&done(&mut w)), Some(Source::Env));
    // Explicitly: env is skipped, web identity ignores its variables, the config file wins.
    let mut w = Walk::new(Inputs {
        config: file(config),
        explicit_profile: Some("p"),
        ..Inputs::new(&env)
    });
    let r = done(&mut w);
    assert_eq!(source_of(&r), Some(Source::ConfigFile));
    assert_eq!(w.trace()[0].outcome, Outcome::Skipped);
    assert!(matches!(
        w.trace()[2].reason,
        Reason::NoTokenFile { env_ignored: true }
    ));
    // Without the explicit profile, the web identity variables apply (after env, so drop it).
    let env3 = [env[2], env[3], NO_IMDS];
    let mut w = Walk::new(Inputs::new(&env3));
    let work = role_work(&mut w);
    assert_eq!(work.source, Source::AssumeRoleWithWebIdentity);
    assert!(work.hops.is_empty() && work.base_credentials.is_none());
    let Some(RolePlan {
        base: RoleBase::WebIdentity(wi),
        ..
    }) = w.role_plan()
    else {
        panic!()
    };
    assert!(wi.token_file.eq_str("/t"));
}

#[test]
fn files_and_partial_keys() {
    let env = [NO_IMDS];
    // Access key in the credentials file, secret in the config: partial (spec §3.6).
    let mut w = Walk::new(Inputs {
        config: file(b"[default]\naws_secret_access_key = s\n"),
        credentials: file(b"[default]\naws_access_key_id = a\n"),
        ..Inputs::new(&env)
    });
    let r = done(&mut w);
    assert!(matches!(
        error_kind(&r),
        ErrorKind::PartialCredentials {
            source: Source::SharedCredentialsFile,
            missing: "aws_secret_access_key",
            ..
        }
    ));
    // A secret alone: nothing here.
    let mut w = Walk::new(Inputs {
        credentials: file(b"[default]\naws_secret_access_key = s\n"),
        ..Inputs::new(&env)
    });
    assert!(matches!(done(&mut w), Resolution::NoCredentials));
    // aws_security_token beats aws_session_token, even empty; multi-line values are joined.
    let mut w = Walk::new(Inputs {
        credentials: file(
            b"[default]\naws_access_key_id = a\n  b\naws_secret_access_key = s\naws_session_token = t\naws_security_token =\n",
        ),
        ..Inputs::new(&env)
    });
    let Resolution::Credentials { credentials: c, .. } = done(&mut w) else {
        panic!()
    };
    assert!(c.access_key_id.eq_str("a\nb"));
    assert!(c.session_token.unwrap().eq_str(""));
    // A parse error names the file and line.
    let mut w = Walk::new(Inputs {
        config: FileInput::Contents {
            path: "/home/u/.aws/config",
            bytes: b"[default]\nregion\n",
        },
        ..Inputs::new(&env)
    });
    let r = done(&mut w);
    let ErrorKind::FileParse { path, error, .. } = error_kind(&r) else {
        panic!()
    };
    assert_eq!((path, error.line), ("/home/u/.aws/config", 2));
}

#[test]
fn legacy_files() {
    let env = [("AWS_CREDENTIAL_FILE", "~/ec2"), NO_IMDS];
    let mut w = Walk::new(Inputs::new(&env));
    assert_eq!(error_kind(&done(&mut w)).botocore_class(), "ConfigNotFound");
    let mut w = Walk::new(Inputs {
        ec2_credentials: file(b"AWSAccessKeyId=AK\n"),
        ..Inputs::new(&env)
    });
    assert_eq!(error_kind(&done(&mut w)).botocore_class(), "KeyError");
    let mut w = Walk::new(Inputs {
        ec2_credentials: file(b"aws_access_key_id=AK\n"),
        ..Inputs::new(&env)
    });
    assert!(matches!(done(&mut w), Resolution::NoCredentials));
    let mut w = Walk::new(Inputs {
        ec2_credentials: file(b" AWSAccessKeyId = A \x0bAWSSecretKey=S\n"),
        ..Inputs::new(&env)
    });
    let Resolution::Credentials {
        source,
        credentials,
    } = done(&mut w)
    else {
        panic!()
    };
    assert_eq!(source, Source::Ec2CredentialsFile);
    assert!(credentials.access_key_id.eq_str("A") && credentials.secret_access_key.eq_str("S"));

    // boto: the first file lacks [Credentials], the second (case-sensitive) has it.
    let env = [NO_IMDS];
    let boto = [
        FileInput::Missing,
        file(b"[credentials]\naws_access_key_id = no\n"),
        file(b"[Credentials]\naws_access_key_id = B\naws_secret_access_key = S\n"),
    ];
    let mut w = Walk::new(Inputs {
        boto: &boto,
        ..Inputs::new(&env)
    });
    assert_eq!(source_of(&done(&mut w)), Some(Source::BotoConfig));
}

const ROLES: &[u8] = b"[profile a]\nrole_arn = arn:a\nsource_profile = b\n\
[profile b]\nrole_arn = arn:b\nsource_profile = c\nexternal_id = x\n\
[profile c]\naws_access_key_id = C\naws_secret_access_key = S\n\
[profile loop1]\nrole_arn = r\nsource_profile = loop2\n\
[profile loop2]\nrole_arn = r\nsource_profile = loop1\n\
[profile self]\nrole_arn = r\nsource_profile = self\naws_access_key_id = K\naws_secret_access_key = S\n\
[profile selfnokeys]\nrole_arn = r\nsource_profile = selfnokeys\n\
[profile both]\nrole_arn = r\nsource_profile = c\ncredential_source = Environment\n\
[profile lower]\nrole_arn = r\ncredential_source = environment\n\
[profile envsrc]\nrole_arn = r\ncredential_source = Environment\n\
[profile imds]\nrole_arn = r\ncredential_source = Ec2InstanceMetadata\n\
[profile proc]\nrole_arn = r\nsource_profile = procsrc\n\
[profile procsrc]\ncredential_process = /bin/creds --x\naws_account_id = 999\n\
[profile web]\nrole_arn = r\nweb_identity_token_file = /tok\n\
[profile sso]\nsso_role_name = r\nsso_session = s\nsso_region = eu-west-1\n\
[sso-session s]\nsso_region = us-east-1\nsso_start_url = https://x\n";

fn role_walk<'a>(env: &'a dyn Env, profile: &'a str) -> Walk<'a> {
    Walk::new(Inputs {
        config: FileInput::Contents {
            path: "config",
            bytes: ROLES,
        },
        explicit_profile: Some(profile),
        ..Inputs::new(env)
    })
}

#[test]
fn role_plans() {
    let env = [NO_IMDS];
    let mut w = role_walk(&env, "a");
    let work = role_work(&mut w);
    assert_eq!(work.source, Source::AssumeRole);
    assert_eq!(work.hops.len(), 2);
    assert!(work.hops.get(0).unwrap().role_arn.eq_str("arn:b"));
    assert!(work.base_credentials.unwrap().access_key_id.eq_str("C"));
    // Until reported, the same work again; then the walk delivers.
    assert!(matches!(w.next_step(), Step::Run(Action::Role(_))));
    let plan = w.role_plan().unwrap().clone();
    assert!(plan.hops[0].role_arn.eq_str("arn:b") && plan.hops[1].role_arn.eq_str("arn:a"));
    assert!(plan.hops[0].external_id.unwrap().eq_str("x"));
    let RoleBase::Static {
        source,
        credentials,
        ..
    } = plan.base
    else {
        panic!()
    };
    assert_eq!(source, Source::ConfigFile);
    assert!(credentials.access_key_id.eq_str("C"));
    assert!(matches!(
        w.report_role(Ok(None)),
        Step::Done(Resolution::Delivered {
            source: Source::AssumeRole
        })
    ));
    assert_eq!(w.trace().last().unwrap().outcome, Outcome::Applies);
    // A failing hop stops the chain, naming the hop's profile and role.
    let mut w = role_walk(&env, "a");
    let _ = role_work(&mut w);
    let Step::Done(r) = w.report_role(Err(RoleFailure {
        step: RoleStep::Hop { index: 2, of: 2 },
        kind: RoleFailureKind::Service { status: 403 },
    })) else {
        panic!()
    };
    let kind = error_kind(&r);
    assert_eq!(kind.botocore_class(), "ClientError");
    let mut text = heapless::String::<256>::new();
    core::fmt::write(&mut text, format_args!("{kind}")).unwrap();
    assert!(
        text.starts_with("assume role arn:a for profile a (hop 2 of 2): "),
        "{text}"
    );
    let mut w = role_walk(&env, "a");
    let _ = role_work(&mut w);
    assert_eq!(
        role_failure_class(&mut w, RoleFailureKind::Transport),
        "EndpointConnectionError"
    );

    let class = |p| {
        let mut w = role_walk(&env, p);
        let r = done(&mut w);
        error_kind(&r).botocore_class()
    };
    assert_eq!(class("loop1"), "InfiniteLoopConfigError");
    assert_eq!(class("selfnokeys"), "InfiniteLoopConfigError");
    let mut w = role_walk(&env, "self");
    assert!(role_work(&mut w).base_credentials.is_some());
    assert_eq!(class("both"), "InvalidConfigError");
    assert_eq!(class("lower"), "InvalidConfigError");
    // Environment as credential_source, with no env keys: nothing found there.
    assert_eq!(class("envsrc"), "CredentialRetrievalError");
    assert_eq!(class("imds"), "CredentialRetrievalError");
    // Web identity wins over role_arn; SSO values must agree with the session.
    let mut w = role_walk(&env, "web");
    let _ = role_work(&mut w);
    assert_eq!(w.trace()[1].outcome, Outcome::NothingHere);
    assert_eq!(w.trace()[2].source, Source::AssumeRoleWithWebIdentity);
    assert_eq!(w.trace()[2].outcome, Outcome::Pending);
    assert_eq!(
        role_failure_class(&mut w, RoleFailureKind::TokenFile(IoErrorKind::Other)),
        "FileNotFoundError"
    );
    assert_eq!(w.trace()[2].outcome, Outcome::Failed);
    let mut w = role_walk(&env, "sso");
    assert!(matches!(
        error_kind(&done(&mut w)),
        ErrorKind::SsoInconsistent { .. }
    ));

    // The environment as a credential source is read even under an explicit profile.
    let env = [
        ("AWS_ACCESS_KEY_ID", "A"),
        ("AWS_SECRET_ACCESS_KEY", "S"),
        NO_IMDS,
    ];
    let mut w = role_walk(&env, "envsrc");
    let work = role_work(&mut w);
    assert!(work.base_credentials.unwrap().access_key_id.eq_str("A"));
    // IMDS as a credential source is an action; what it finds decides.
    let env = [("AWS_EC2_METADATA_DISABLED", "false")];
    let mut w = role_walk(&env, "imds");
    assert!(matches!(w.next_step(), Step::Run(Action::Imds(_))));
    let Step::Done(r) = w.report(ActionOutcome::NothingHere) else {
        panic!()
    };
    assert_eq!(error_kind(&r).botocore_class(), "CredentialRetrievalError");
}

#[test]
fn process_action() {
    let env = [NO_IMDS];
    let config = b"[default]\ncredential_process = /bin/creds \"a b\"\naws_account_id = 42\n";
    let out = br#"{"Version": 1, "AccessKeyId": "PK", "SecretAccessKey": "S", "Expiration": "2030-01-01T00:00:00Z"}"#;
    let mut w = Walk::new(Inputs {
        config: file(config),
        ..Inputs::new(&env)
    });
    let Step::Run(Action::Process {
        command,
        account_id,
        ..
    }) = w.next_step()
    else {
        panic!()
    };
    assert!(command.eq_str("/bin/creds \"a b\""));
    assert!(account_id.unwrap().eq_str("42"));
    // Until reported, the same action again.
    assert!(matches!(w.next_step(), Step::Run(Action::Process { .. })));
    let creds = w
        .report_process(ProcessExit::Exited {
            success: true,
            code: Some(0),
            stdout: out,
        })
        .unwrap();
    assert_eq!(creds.access_key_id.as_str(), Some("PK"));
    assert!(matches!(
        w.next_step(),
        Step::Done(Resolution::Delivered {
            source: Source::CustomProcess
        })
    ));
    assert_eq!(w.trace().last().unwrap().outcome, Outcome::Applies);

    // A failing process stops the chain.
    let mut w = Walk::new(Inputs {
        config: file(config),
        ..Inputs::new(&env)
    });
    let _ = w.next_step();
    let e = w
        .report_process(ProcessExit::Exited {
            success: false,
            code: Some(1),
            stdout: b"",
        })
        .unwrap_err();
    assert_eq!(e, ProcessFailure::Exited { code: Some(1) });
    let r = done(&mut w);
    assert_eq!(error_kind(&r).botocore_class(), "CredentialRetrievalError");

    // A source profile's process runs, then the role work is handed out.
    let mut w = role_walk(&env, "proc");
    let Step::Run(Action::Process { account_id, .. }) = w.next_step() else {
        panic!()
    };
    assert!(account_id.unwrap().eq_str("999"));
    assert!(
        w.report_process(ProcessExit::Exited {
            success: true,
            code: Some(0),
            stdout: out,
        })
        .is_ok()
    );
    let work = role_work(&mut w);
    assert!(matches!(work.base, RoleBase::Process { .. }));
    assert!(work.base_credentials.is_none() && work.hops.len() == 1);
    assert!(matches!(
        w.report_role(Ok(None)),
        Step::Done(Resolution::Delivered { .. })
    ));
}

#[test]
fn imds_and_container_actions() {
    let env = [("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "")];
    let mut w = Walk::new(Inputs::new(&env));
    assert!(matches!(w.next_step(), Step::Run(Action::Container)));
    let failure = ActionFailure::ContainerConfig;
    let Step::Done(r) = w.report(ActionOutcome::Failed(failure)) else {
        panic!()
    };
    assert_eq!(error_kind(&r).botocore_class(), "ValueError");

    let env = [("AWS_EC2_METADATA_DISABLED", "1")];
    let mut w = Walk::new(Inputs::new(&env));
    assert!(matches!(w.next_step(), Step::Run(Action::Imds(_))));
    assert!(matches!(
        w.report(ActionOutcome::NothingHere),
        Step::Done(Resolution::NoCredentials)
    ));
    let bad = [("AWS_METADATA_SERVICE_TIMEOUT", "1.5")];
    let mut w = Walk::new(Inputs::new(&bad));
    assert_eq!(error_kind(&done(&mut w)).botocore_class(), "ValueError");
}

#[test]
fn explicit_credentials_bypass_everything() {
    let env = [("AWS_PROFILE", "missing")];
    let mut w = Walk::new(Inputs {
        explicit_credentials: Some(ExplicitCredentials {
            access_key_id: "X",
            secret_access_key: "Y",
            session_token: None,
            account_id: None,
        }),
        ..Inputs::new(&env)
    });
    let r = done(&mut w);
    assert_eq!(source_of(&r), Some(Source::Explicit));
    assert_eq!(Source::Explicit.method_name(), "explicit");
}
