//! The config and credentials files seen together (spec §3.6).
//!
//! botocore's `session.full_config` starts from the config file's profile map and, for each
//! section of the credentials file, either adds it as a new profile or updates the config
//! profile of the same name key by key: **the credentials file wins**. `sso_sessions` and
//! `services` come from the config file alone. This merged view is what decides whether a named
//! profile exists (spec §0.1) and what the role, SSO, process and web-identity providers read;
//! the static-key providers read one file each ([`MergedProfile::config`],
//! [`MergedProfile::credentials`]).
//!
//! The SDK dialect merges the same way (credentials values override config values).

use core::fmt;

use super::{Category, FileKind, ProfileFile, Property, Section, Text, Value};

/// The profiles of both files, as botocore's `session.full_config` sees them (spec §3.6).
///
/// A profile exists when either file defines it. For a profile in both, the credentials file's
/// options override the config file's, key by key; SSO sessions and services come from the
/// config file only. This is the view that decides whether a named profile exists (spec §0.1)
/// and that the role, SSO, process and web-identity providers read; the static-key providers
/// each read one file ([`MergedProfile::config`], [`MergedProfile::credentials`]). The SDK
/// dialect merges the same way.
///
/// ```
/// use credchain_core::profile::{Dialect, FileKind, Merged, ProfileFile};
///
/// let config = "[profile dev]\nregion = eu-west-1\noutput = json\n";
/// let config = ProfileFile::parse(config, FileKind::Config, Dialect::Botocore)?;
/// let credentials = "[dev]\nregion = us-east-2\n";
/// let credentials = ProfileFile::parse(credentials, FileKind::Credentials, Dialect::Botocore)?;
/// let merged = Merged::new(Some(&config), Some(&credentials));
/// let dev = merged.profile("dev").unwrap();
/// let (region, from) = dev.get("region").unwrap();
/// assert_eq!((region.as_str(), from), (Some("us-east-2"), FileKind::Credentials));
/// assert_eq!(dev.get("output").unwrap().1, FileKind::Config);
/// # Ok::<(), credchain_core::profile::ParseError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Merged<'a> {
    config: Option<ProfileFile<'a>>,
    credentials: Option<ProfileFile<'a>>,
}

impl<'a> Merged<'a> {
    /// Merges a parsed config file and a parsed credentials file; either may be missing (a
    /// missing file has no profiles).
    pub fn new(config: Option<&ProfileFile<'a>>, credentials: Option<&ProfileFile<'a>>) -> Self {
        Merged {
            config: config.copied(),
            credentials: credentials.copied(),
        }
    }

    /// The config file, if any.
    pub fn config(&self) -> Option<&ProfileFile<'a>> {
        self.config.as_ref()
    }

    /// The credentials file, if any.
    pub fn credentials(&self) -> Option<&ProfileFile<'a>> {
        self.credentials.as_ref()
    }

    /// The profile `name` from either file, or `None` when neither defines it (botocore's
    /// `ProfileNotFound`).
    pub fn profile(&self, name: &str) -> Option<MergedProfile<'a>> {
        let config = self.config.and_then(|f| f.profile(name));
        let credentials = self.credentials.and_then(|f| f.profile(name));
        MergedProfile::new(config, credentials)
    }

    /// Every profile name of the two files, each once: the config file's first, then the
    /// credentials file's that the config file lacks (the order of `full_config["profiles"]`).
    ///
    /// Each credentials profile is looked up in the config file, so this is
    /// `O(credentials profiles × config file)`.
    pub fn profile_names(&self) -> impl Iterator<Item = Text<'a>> + 'a {
        let config = self.config;
        let from_config = config
            .into_iter()
            .flat_map(|f| f.profiles())
            .map(|s| s.name());
        let from_credentials = self
            .credentials
            .into_iter()
            .flat_map(|f| f.profiles())
            .map(|s| s.name())
            .filter(move |n| {
                config.is_none_or(|c| c.find(Category::Profile, |t| t.eq_text(n)).is_none())
            });
        from_config.chain(from_credentials)
    }

    /// Every profile of the two files, each once, in [`Merged::profile_names`] order.
    pub fn profiles(&self) -> impl Iterator<Item = MergedProfile<'a>> + 'a {
        let merged = *self;
        self.profile_names().filter_map(move |name| {
            let config = merged
                .config
                .and_then(|f| f.find(Category::Profile, |t| t.eq_text(&name)));
            let credentials = merged
                .credentials
                .and_then(|f| f.find(Category::Profile, |t| t.eq_text(&name)));
            MergedProfile::new(config, credentials)
        })
    }

    /// The `[sso-session NAME]` section `name` (config file only).
    pub fn sso_session(&self, name: &str) -> Option<Section<'a>> {
        self.config?.sso_session(name)
    }

    /// Every SSO session (config file only).
    pub fn sso_sessions(&self) -> impl Iterator<Item = Section<'a>> + 'a {
        self.config.into_iter().flat_map(|f| f.sso_sessions())
    }

    /// The `[services NAME]` section `name` (config file only).
    pub fn service(&self, name: &str) -> Option<Section<'a>> {
        self.config?.service(name)
    }

    /// Every services section (config file only).
    pub fn services(&self) -> impl Iterator<Item = Section<'a>> + 'a {
        self.config.into_iter().flat_map(|f| f.services())
    }
}

/// One profile of the merged view: its section in each file.
#[derive(Clone, Copy)]
pub struct MergedProfile<'a> {
    config: Option<Section<'a>>,
    credentials: Option<Section<'a>>,
}

impl fmt::Debug for MergedProfile<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MergedProfile")
            .field("name", &self.name())
            .field("config", &self.config)
            .field("credentials", &self.credentials)
            .finish()
    }
}

impl<'a> MergedProfile<'a> {
    fn new(config: Option<Section<'a>>, credentials: Option<Section<'a>>) -> Option<Self> {
        (config.is_some() || credentials.is_some()).then_some(MergedProfile {
            config,
            credentials,
        })
    }

    /// The profile name.
    pub fn name(&self) -> Text<'a> {
        match (self.credentials, self.config) {
            (_, Some(s)) | (Some(s), None) => s.name(),
            (None, None) => Text::new(super::TextRepr::Plain(""), 0),
        }
    }

    /// Its section in the config file.
    pub fn config(&self) -> Option<Section<'a>> {
        self.config
    }

    /// Its section in the credentials file.
    pub fn credentials(&self) -> Option<Section<'a>> {
        self.credentials
    }

    /// The value of `key` and the file it comes from: the credentials file first.
    pub fn get(&self, key: &str) -> Option<(Value<'a>, FileKind)> {
        if let Some(v) = self.credentials.and_then(|s| s.get(key)) {
            return Some((v, FileKind::Credentials));
        }
        self.config
            .and_then(|s| s.get(key))
            .map(|v| (v, FileKind::Config))
    }

    /// Every option, each once, with the file its value comes from: the config file's options
    /// (with the credentials file's value where it sets the same key), then the credentials
    /// file's other options — the order of Python's `dict.update`.
    pub fn properties(&self) -> MergedProperties<'a> {
        MergedProperties {
            profile: *self,
            config: self.config.map(|s| s.properties()),
            credentials: self.credentials.map(|s| s.properties()),
        }
    }
}

/// The options of a [`MergedProfile`]; see [`MergedProfile::properties`].
#[derive(Debug, Clone)]
pub struct MergedProperties<'a> {
    profile: MergedProfile<'a>,
    config: Option<super::Properties<'a>>,
    credentials: Option<super::Properties<'a>>,
}

impl<'a> Iterator for MergedProperties<'a> {
    type Item = (Property<'a>, FileKind);

    fn next(&mut self) -> Option<(Property<'a>, FileKind)> {
        if let Some(config) = self.config.as_mut() {
            if let Some(p) = config.next() {
                let over = self
                    .profile
                    .credentials
                    .and_then(|s| s.find(|k| k.eq_text(&p.key)));
                return Some(match over {
                    Some(c) => (
                        Property {
                            key: p.key,
                            value: c.value,
                        },
                        FileKind::Credentials,
                    ),
                    None => (p, FileKind::Config),
                });
            }
            self.config = None;
        }
        let config = self.profile.config;
        let credentials = self.credentials.as_mut()?;
        credentials
            .find(|p| config.is_none_or(|s| s.find(|k| k.eq_text(&p.key)).is_none()))
            .map(|p| (p, FileKind::Credentials))
    }
}
