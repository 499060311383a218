//! Secret values at rest: sealed with XChaCha20-Poly1305 under a key of this data folder before
//! they reach the database, opened only to build what a runtime is given; events carry no
//! variable values.
//!
//! The key (32 random bytes, one per data folder) is made on first open. It lives in the OS
//! keychain where one answers (macOS Keychain, Windows Credential Manager, the Secret Service
//! on Linux; service `dev.stagecraft`, account `secret key of <data folder>`; written, then
//! read back, because some Secret Service setups accept what they do not keep), else in
//! `<data folder>/secret.key`, readable by the user alone.
//!
//! Which one holds it is decided once, when the key is made: a key in the keychain leaves
//! `secret-key.json` beside the database naming its entry (written first, as a claim, so two
//! processes opening a new data folder at once share one key: the second waits up to 2 s for
//! the first's entry), and from then on a keychain that does not answer (locked, no session
//! bus) is the `SECRET_KEY` error saying so, never a new key (that would orphan every sealed
//! value); a `secret.key` file, once there, is always used. Keychain calls run on a blocking
//! thread, bounded by 30 s.
//!
//! `STAGECRAFT_KEYCHAIN=0` keeps new keys in files (the test harnesses set it, so test data
//! folders never reach a developer's keychain); the real keychain is tested by
//! `scripts/test.sh` inside a throwaway `dbus-run-session` with an unlocked gnome-keyring.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use stagecraft_template::{EnvVar, Text, VariablesFile};

use crate::Error;

/// How a sealed value starts in a stored variables file.
const SEALED: &str = "enc:v1:";
const KEY_FILE: &str = "secret.key";
/// Names the keychain entry that holds the key, when one does.
const KEYCHAIN_MARKER: &str = "secret-key.json";
/// The keychain service Stagecraft's entries are filed under.
pub const KEYCHAIN_SERVICE: &str = "dev.stagecraft";
const NONCE_LEN: usize = 24;
/// A locked keychain may wait for its password; a keychain that never answers must not hold
/// Stagecraft up for ever.
const KEYCHAIN_WAIT: Duration = Duration::from_secs(30);

/// The OS keychain, as the sealer uses it: one secret per account under
/// [`KEYCHAIN_SERVICE`]. Calls block; the sealer makes them off the async threads. A failure
/// is [`Error::SecretKeychain`].
pub trait Keychain: Send + Sync + 'static {
    /// The secret, or `None` when the keychain has no such entry.
    fn get(&self, account: &str) -> Result<Option<Vec<u8>>, Error>;
    fn set(&self, account: &str, secret: &[u8]) -> Result<(), Error>;
}

/// The keychain's failure for `account`, said as the user sees it.
pub(crate) fn keychain_error(account: &str, message: impl std::fmt::Display) -> Error {
    Error::SecretKeychain {
        service: KEYCHAIN_SERVICE,
        account: account.to_owned(),
        message: message.to_string(),
    }
}

/// The platform's keychain through the `keyring` crate.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsKeychain;

impl Keychain for OsKeychain {
    fn get(&self, account: &str) -> Result<Option<Vec<u8>>, Error> {
        let entry = keyring::Entry::new(KEYCHAIN_SERVICE, account)
            .map_err(|e| keychain_error(account, e))?;
        match entry.get_secret() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(keychain_error(account, error)),
        }
    }

    fn set(&self, account: &str, secret: &[u8]) -> Result<(), Error> {
        keyring::Entry::new(KEYCHAIN_SERVICE, account)
            .and_then(|entry| entry.set_secret(secret))
            .map_err(|e| keychain_error(account, e))
    }
}

/// Where a data folder's key is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyHome {
    Keychain { account: String },
    File(PathBuf),
}

impl std::fmt::Display for KeyHome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Keychain { account } => write!(
                f,
                "the OS keychain (service `{KEYCHAIN_SERVICE}`, account `{account}`)"
            ),
            Self::File(path) => write!(f, "{}", path.display()),
        }
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Marker {
    keychain_account: String,
}

/// Seals and opens secret values with this data folder's key.
#[derive(Clone)]
pub(crate) struct Sealer {
    cipher: XChaCha20Poly1305,
    home: KeyHome,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("home", &self.home)
            .finish_non_exhaustive()
    }
}

impl Sealer {
    /// The data folder's key, made on first use: in `keychain` when one is given and answers,
    /// else in a file.
    pub(crate) async fn open(
        data_dir: &Path,
        keychain: Option<Arc<dyn Keychain>>,
    ) -> Result<Self, Error> {
        let key_path = data_dir.join(KEY_FILE);
        let marker_path = data_dir.join(KEYCHAIN_MARKER);
        let file_error = |path: &Path| {
            let path = path.to_owned();
            move |source| Error::SecretKey { path, source }
        };
        let (bytes, home) = match std::fs::read(&key_path) {
            Ok(bytes) => (bytes, KeyHome::File(key_path)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                match read_marker(&marker_path).map_err(file_error(&marker_path))? {
                    Some(account) => {
                        let bytes = from_keychain(keychain, &account, &marker_path).await?;
                        (bytes, KeyHome::Keychain { account })
                    }
                    None => make_key(data_dir, keychain).await?,
                }
            }
            Err(error) => return Err(file_error(&key_path)(error)),
        };
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| Error::SecretKey {
            path: data_dir.to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("the key in {home} is {} bytes long, not 32", bytes.len()),
            ),
        })?;
        Ok(Self { cipher, home })
    }

    /// Where the key is kept.
    pub(crate) fn home(&self) -> &KeyHome {
        &self.home
    }

    fn seal(&self, value: &str) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        // Encrypting a slice in memory cannot fail with this cipher; keep the value out of
        // the database all the same if it ever did.
        let Ok(sealed) = self.cipher.encrypt(&nonce, value.as_bytes()) else {
            return SEALED.to_owned();
        };
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        format!("{SEALED}{}", STANDARD.encode(bytes))
    }

    fn unseal(&self, key: &str, value: &str) -> Result<String, Error> {
        let Some(encoded) = value.strip_prefix(SEALED) else {
            return Ok(value.to_owned());
        };
        let cannot = || Error::SecretSealed {
            key: key.to_owned(),
            key_home: self.home.to_string(),
        };
        let bytes = STANDARD.decode(encoded).map_err(|_| cannot())?;
        if bytes.len() < NONCE_LEN {
            return Err(cannot());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| cannot())?;
        let plain = self
            .cipher
            .decrypt(&XNonce::from(nonce), sealed)
            .map_err(|_| cannot())?;
        String::from_utf8(plain).map_err(|_| cannot())
    }

    /// The variables with every secret value sealed (values sealed already stay as they are).
    pub(crate) fn seal_variables(&self, variables: &VariablesFile) -> VariablesFile {
        self.map_secrets(variables, |_, value| {
            Ok(if value.starts_with(SEALED) {
                value.to_owned()
            } else {
                self.seal(value)
            })
        })
        .unwrap_or_else(|_: Error| variables.clone())
    }

    /// The variables with every secret value shown as [`crate::MASK`]: what an editor shows.
    pub(crate) fn mask_variables(&self, variables: &VariablesFile) -> VariablesFile {
        self.map_secrets(variables, |_, _| Ok(crate::MASK.to_owned()))
            .unwrap_or_else(|_: Error| variables.clone())
    }

    /// `edited` with each secret still shown as [`crate::MASK`] given the value `current` has
    /// for it (sealed, as stored), found by its key in the same list (`defaults`, `envs`, or
    /// the same service's): an editor that leaves a secret as it was keeps it. A masked secret
    /// `current` does not have, or the mask given to a variable that is not secret, is refused,
    /// naming it: the mask is never stored as a value.
    pub(crate) fn keep_masked(
        &self,
        edited: &VariablesFile,
        current: &VariablesFile,
        file: &str,
    ) -> Result<VariablesFile, Error> {
        let refuse = |message: String| Error::InvalidRequest {
            field: "variables",
            message: format!("{file}: {message}"),
        };
        let keep = |vars: &mut Vec<EnvVar>, stored: &[EnvVar]| -> Result<(), Error> {
            for var in vars.iter_mut() {
                if var.value.as_ref().map(Text::as_str) != Some(crate::MASK) {
                    continue;
                }
                let key = var.key.as_ref().map_or("", Text::as_str).to_owned();
                if var.secret != Some(true) {
                    return Err(refuse(format!(
                        "`{key}` holds {}, which stands for a secret's value: give its value, \
                         or mark it `secret: true` to keep the secret it was",
                        crate::MASK
                    )));
                }
                let kept = stored
                    .iter()
                    .filter(|v| v.secret == Some(true))
                    .rev()
                    .find(|v| v.key.as_ref().map(Text::as_str) == Some(key.as_str()))
                    .and_then(|v| v.value.clone());
                match kept {
                    Some(value) => var.value = Some(value),
                    None => {
                        return Err(refuse(format!(
                            "the secret `{key}` has no value yet: type its value instead of {}",
                            crate::MASK
                        )));
                    }
                }
            }
            Ok(())
        };
        let mut out = edited.clone();
        keep(&mut out.defaults, &current.defaults)?;
        keep(&mut out.envs, &current.envs)?;
        if let Some(services) = &mut out.services {
            for (service, vars) in &mut services.0 {
                let stored = current
                    .services
                    .as_ref()
                    .and_then(|s| {
                        s.0.iter()
                            .find(|(name, _)| name.as_str() == service.as_str())
                    })
                    .map(|(_, vars)| vars.as_slice())
                    .unwrap_or_default();
                keep(vars, stored)?;
            }
        }
        Ok(out)
    }

    /// The variables with every sealed value opened.
    pub(crate) fn unseal_variables(
        &self,
        variables: &VariablesFile,
    ) -> Result<VariablesFile, Error> {
        self.map_secrets(variables, |key, value| self.unseal(key, value))
    }

    fn map_secrets(
        &self,
        variables: &VariablesFile,
        change: impl Fn(&str, &str) -> Result<String, Error>,
    ) -> Result<VariablesFile, Error> {
        let map = |vars: &[EnvVar]| -> Result<Vec<EnvVar>, Error> {
            vars.iter()
                .map(|var| {
                    let mut var = var.clone();
                    if var.secret == Some(true)
                        && let (Some(key), Some(value)) = (&var.key, &var.value)
                    {
                        var.value = Some(Text::new(change(key.as_str(), value.as_str())?));
                    }
                    Ok(var)
                })
                .collect()
        };
        let mut out = variables.clone();
        out.defaults = map(&variables.defaults)?;
        out.envs = map(&variables.envs)?;
        if let Some(services) = &mut out.services {
            for (_, vars) in &mut services.0 {
                *vars = map(vars)?;
            }
        }
        Ok(out)
    }
}

/// The keychain account the marker names, if there is a marker.
fn read_marker(path: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice::<Marker>(&bytes)
            .map(|m| Some(m.keychain_account))
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// Runs a keychain call about `account` on a blocking thread, bounded by [`KEYCHAIN_WAIT`].
async fn keychain_call<T: Send + 'static>(
    account: &str,
    call: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    match tokio::time::timeout(KEYCHAIN_WAIT, tokio::task::spawn_blocking(call)).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(keychain_error(
            account,
            format!("the keychain call stopped: {join}"),
        )),
        Err(_) => Err(keychain_error(
            account,
            format!(
                "no answer within {} s (a locked keychain waits for its password)",
                KEYCHAIN_WAIT.as_secs()
            ),
        )),
    }
}

/// How long a key the marker names may take to appear: the process that wrote the marker may
/// still be storing it (two processes opening a new data folder at once).
const ENTRY_APPEARS: std::time::Duration = std::time::Duration::from_secs(2);

/// The key the marker says is in the keychain; any failure is an error, never a new key.
async fn from_keychain(
    keychain: Option<Arc<dyn Keychain>>,
    account: &str,
    marker_path: &Path,
) -> Result<Vec<u8>, Error> {
    let unreadable = |message: String| Error::SecretKeychain {
        service: KEYCHAIN_SERVICE,
        account: account.to_owned(),
        message,
    };
    let Some(keychain) = keychain else {
        return Err(unreadable(
            "this Stagecraft was started with the keychain turned off (STAGECRAFT_KEYCHAIN=0)"
                .to_owned(),
        ));
    };
    let deadline = tokio::time::Instant::now() + ENTRY_APPEARS;
    loop {
        let (keychain, owned) = (Arc::clone(&keychain), account.to_owned());
        match keychain_call(account, move || keychain.get(&owned)).await {
            Ok(Some(bytes)) => return Ok(bytes),
            Ok(None) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(ENTRY_APPEARS / 10).await;
            }
            Ok(None) => {
                return Err(unreadable(format!(
                    "the keychain has no such entry; if it was deleted, remove {} to make a new key (secrets sealed with the old one must then be set again)",
                    marker_path.display()
                )));
            }
            Err(error) => return Err(error),
        }
    }
}

/// A new key: into the keychain when one is given and keeps it (read back to be sure: some
/// Secret Service setups accept a write they do not keep), else into a user-only file.
async fn make_key(
    data_dir: &Path,
    keychain: Option<Arc<dyn Keychain>>,
) -> Result<(Vec<u8>, KeyHome), Error> {
    let key = XChaCha20Poly1305::generate_key(&mut OsRng).to_vec();
    if let Some(keychain) = keychain {
        let account = format!("secret key of {}", data_dir.display());
        let marker_path = data_dir.join(KEYCHAIN_MARKER);
        let marker = serde_json::to_vec(&Marker {
            keychain_account: account.clone(),
        })
        .map_err(|e| Error::SecretKey {
            path: marker_path.clone(),
            source: std::io::Error::other(e),
        })?;
        // The marker first, as a claim: of two processes opening a new data folder at once,
        // one makes the key and the other reads it, instead of each storing its own.
        match write_private(&marker_path, &marker) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                let account = read_marker(&marker_path)
                    .map_err(|source| Error::SecretKey {
                        path: marker_path.clone(),
                        source,
                    })?
                    .unwrap_or(account);
                let bytes = from_keychain(Some(keychain), &account, &marker_path).await?;
                return Ok((bytes, KeyHome::Keychain { account }));
            }
            Err(source) => {
                return Err(Error::SecretKey {
                    path: marker_path,
                    source,
                });
            }
        }
        let (bytes, kept_account) = (key.clone(), account.clone());
        let stored = keychain_call(&account, move || {
            keychain.set(&kept_account, &bytes)?;
            match keychain.get(&kept_account)? {
                Some(read) if read == bytes => Ok(()),
                _ => Err(keychain_error(
                    &kept_account,
                    "the keychain did not keep the key it was given",
                )),
            }
        })
        .await;
        match stored {
            Ok(()) => return Ok((key, KeyHome::Keychain { account })),
            Err(error) => {
                // The keychain's own words: the error's sentence is for a key that is there.
                let reason = match &error {
                    Error::SecretKeychain { message, .. } => message.clone(),
                    other => other.to_string(),
                };
                tracing::info!(%reason, "no OS keychain to keep the secret key in; using a file");
                // The claim is withdrawn: the key goes to a file.
                if let Err(error) = std::fs::remove_file(&marker_path) {
                    tracing::warn!(%error, "the keychain marker could not be removed");
                }
            }
        }
    }
    let key_path = data_dir.join(KEY_FILE);
    write_private(&key_path, &key).map_err(|source| Error::SecretKey {
        path: key_path.clone(),
        source,
    })?;
    Ok((key, KeyHome::File(key_path)))
}

/// Writes `bytes` to a new file only its owner may read.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use super::{KEY_FILE, KEYCHAIN_MARKER, KeyHome, Keychain, Sealer, keychain_error};
    use crate::Error;

    /// A keychain in memory that can be told to refuse, or to forget what it is given.
    #[derive(Default)]
    struct MemoryKeychain {
        entries: Mutex<HashMap<String, Vec<u8>>>,
        refuses: Mutex<Option<&'static str>>,
        forgets: bool,
    }

    impl MemoryKeychain {
        fn refuse(&self, why: &'static str) {
            *self.refuses.lock().unwrap() = Some(why);
        }
    }

    impl Keychain for MemoryKeychain {
        fn get(&self, account: &str) -> Result<Option<Vec<u8>>, Error> {
            if let Some(why) = *self.refuses.lock().unwrap() {
                return Err(keychain_error(account, why));
            }
            Ok(self.entries.lock().unwrap().get(account).cloned())
        }

        fn set(&self, account: &str, secret: &[u8]) -> Result<(), Error> {
            if let Some(why) = *self.refuses.lock().unwrap() {
                return Err(keychain_error(account, why));
            }
            if !self.forgets {
                self.entries
                    .lock()
                    .unwrap()
                    .insert(account.to_owned(), secret.to_vec());
            }
            Ok(())
        }
    }

    async fn open(dir: &std::path::Path, keychain: &Arc<MemoryKeychain>) -> Result<Sealer, Error> {
        Sealer::open(dir, Some(Arc::clone(keychain) as Arc<dyn Keychain>)).await
    }

    #[tokio::test]
    async fn a_keychain_that_answers_keeps_the_key_and_no_file_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let keychain = Arc::new(MemoryKeychain::default());

        let first = open(dir.path(), &keychain).await.unwrap();
        let sealed = first.seal("hunter2");
        let second = open(dir.path(), &keychain).await.unwrap();

        assert!(matches!(first.home(), KeyHome::Keychain { .. }));
        assert_eq!(first.home(), second.home());
        assert_eq!(second.unseal("DB_PASS", &sealed).unwrap(), "hunter2");
        assert!(!dir.path().join(KEY_FILE).exists());
        assert!(dir.path().join(KEYCHAIN_MARKER).exists());
        assert_eq!(keychain.entries.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn without_a_keychain_the_key_goes_to_a_file_which_is_kept_even_once_one_answers() {
        let dir = tempfile::tempdir().unwrap();
        let keychain = Arc::new(MemoryKeychain::default());
        keychain.refuse("org.freedesktop.secrets was not provided by any .service files");

        let first = open(dir.path(), &keychain).await.unwrap();
        let sealed = first.seal("hunter2");
        *keychain.refuses.lock().unwrap() = None;
        let second = open(dir.path(), &keychain).await.unwrap();

        assert_eq!(first.home(), &KeyHome::File(dir.path().join(KEY_FILE)));
        assert_eq!(second.home(), first.home());
        assert_eq!(second.unseal("DB_PASS", &sealed).unwrap(), "hunter2");
        assert!(keychain.entries.lock().unwrap().is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_processes_opening_a_new_data_folder_at_once_share_one_key() {
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let keychain = Arc::new(MemoryKeychain::default());

            let (a, b) = tokio::join!(open(dir.path(), &keychain), open(dir.path(), &keychain));

            let (a, b) = (a.unwrap(), b.unwrap());
            assert_eq!(a.home(), b.home());
            assert_eq!(b.unseal("DB_PASS", &a.seal("hunter2")).unwrap(), "hunter2");
            assert_eq!(a.unseal("DB_PASS", &b.seal("hunter2")).unwrap(), "hunter2");
        }
    }

    #[tokio::test]
    async fn a_marker_whose_entry_never_appears_says_how_to_start_over() {
        let dir = tempfile::tempdir().unwrap();
        let keychain = Arc::new(MemoryKeychain::default());
        open(dir.path(), &keychain).await.unwrap();
        keychain.entries.lock().unwrap().clear();

        let error = open(dir.path(), &keychain).await.unwrap_err();

        let text = error.to_string();
        assert!(
            text.contains("the keychain has no such entry")
                && text.contains(&format!(
                    "remove {}",
                    dir.path().join(KEYCHAIN_MARKER).display()
                )),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_keychain_that_accepts_the_key_but_does_not_keep_it_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let keychain = Arc::new(MemoryKeychain {
            forgets: true,
            ..MemoryKeychain::default()
        });

        let sealer = open(dir.path(), &keychain).await.unwrap();

        assert_eq!(sealer.home(), &KeyHome::File(dir.path().join(KEY_FILE)));
        assert!(!dir.path().join(KEYCHAIN_MARKER).exists());
    }

    #[tokio::test]
    async fn a_key_in_a_keychain_that_no_longer_answers_is_an_error_and_never_a_new_key() {
        let dir = tempfile::tempdir().unwrap();
        let keychain = Arc::new(MemoryKeychain::default());
        open(dir.path(), &keychain).await.unwrap();
        keychain.refuse("the collection is locked");

        let error = open(dir.path(), &keychain).await.unwrap_err();
        let turned_off = Sealer::open(dir.path(), None).await.unwrap_err();

        assert_eq!(error.code(), crate::ErrorCode::SecretKey);
        let text = error.to_string();
        assert!(
            text.contains("service `dev.stagecraft`")
                && text.contains(&format!("secret key of {}", dir.path().display()))
                && text.contains("the collection is locked")
                && text.contains("Unlock the keychain"),
            "{text}"
        );
        assert!(
            turned_off.to_string().contains("STAGECRAFT_KEYCHAIN=0"),
            "{turned_off}"
        );
        assert!(
            !dir.path().join(KEY_FILE).exists(),
            "no second key was made"
        );
    }
}
