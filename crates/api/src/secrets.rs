//! Secret values at rest: sealed with XChaCha20-Poly1305 under a key of this data folder
//! before they reach the database, opened only to hand them to a runtime.
//!
//! The key lives in `<data folder>/secret.key`, readable by the user alone. The OS keychain is
//! not used yet.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use stagecraft_template::{EnvVar, Text, VariablesFile};

use crate::Error;

/// How a sealed value starts in a stored variables file.
const SEALED: &str = "enc:v1:";
const KEY_FILE: &str = "secret.key";
const NONCE_LEN: usize = 24;

/// Seals and opens secret values with this data folder's key.
#[derive(Clone)]
pub(crate) struct Sealer {
    cipher: XChaCha20Poly1305,
    key_path: PathBuf,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("key_path", &self.key_path)
            .finish_non_exhaustive()
    }
}

impl Sealer {
    /// The data folder's key, made on first use.
    pub(crate) fn open(data_dir: &Path) -> Result<Self, Error> {
        let key_path = data_dir.join(KEY_FILE);
        let key_error = |source| Error::SecretKey {
            path: key_path.clone(),
            source,
        };
        let bytes = match std::fs::read(&key_path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = XChaCha20Poly1305::generate_key(&mut OsRng);
                write_private(&key_path, &key[..]).map_err(key_error)?;
                key.to_vec()
            }
            Err(error) => return Err(key_error(error)),
        };
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| {
            key_error(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("the key is {} bytes long, not 32", bytes.len()),
            ))
        })?;
        Ok(Self { cipher, key_path })
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
            key_path: self.key_path.clone(),
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
