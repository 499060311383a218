//! The ingress's HTTPS, for apps that need a secure origin (`Secure` cookies, service
//! workers, OAuth providers that insist): a certificate authority of the data folder's own,
//! made on first use and kept in its `ingress-ca` folder, signs a certificate for each
//! hostname a client asks for (by SNI) as it first asks. The authority may sign TLS server
//! certificates for names under `localhost` only, and for no IP address (an extended key
//! usage and name constraints that browsers and operating systems enforce), which mkcert's
//! does not promise. Its key never leaves the folder (readable by the user only).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DnType, ExtendedKeyUsagePurpose,
    GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose, NameConstraints, PublicKeyData as _,
    SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::IngressError;

/// The authority's key, beside its certificate (`stagecraft_api::INGRESS_AUTHORITY`).
const AUTHORITY_KEY: &str = "stagecraft-ca-key.pem";
/// At most this many hostnames' certificates are kept; past it they are made again.
const KEPT: usize = 1024;

/// The data folder's certificate authority.
pub struct Authority {
    issuer: Issuer<'static, KeyPair>,
    certificate: CertificateDer<'static>,
    /// Where its certificate is, for the user to trust.
    pub path: PathBuf,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn failed(what: &str, error: impl std::fmt::Display) -> IngressError {
    IngressError::Authority(format!("{what}: {error}"))
}

/// The authority's own parameters, made from its key alone: an authority read again from its
/// key signs as the one first made (the same name, the same key identifier), whatever else
/// changed in the data folder.
fn authority_params(key: &KeyPair) -> Result<CertificateParams, IngressError> {
    let mut params = CertificateParams::new(Vec::<String>::new())
        .map_err(|e| failed("the authority's parameters", e))?;
    let raw = key.public_key_raw();
    let short: String = raw
        .iter()
        .rev()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect();
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Stagecraft");
    params.distinguished_name.push(
        DnType::CommonName,
        format!("Stagecraft local ingress {short}"),
    );
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    // What it signs serves TLS only (operating systems and browsers read a CA's extended key
    // usage as a limit on its whole chain), for names under `localhost` only, and for no IP
    // address: trusting it trusts local web servers of these names and nothing else.
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.name_constraints = Some(NameConstraints {
        permitted_subtrees: vec![GeneralSubtree::DnsName("localhost".into())],
        excluded_subtrees: vec![
            GeneralSubtree::IpAddress(CidrSubnet::V4([0; 4], [0; 4])),
            GeneralSubtree::IpAddress(CidrSubnet::V6([0; 16], [0; 16])),
        ],
    });
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(3650);
    Ok(params)
}

impl Authority {
    /// The authority of the data folder at `data_dir`, made when it has none, or none that
    /// reads (a certificate that is not its key's is made again, and said: it must be
    /// trusted again).
    pub fn load_or_create(data_dir: &Path) -> Result<Self, IngressError> {
        let (folder, certificate) = stagecraft_api::INGRESS_AUTHORITY;
        let folder = data_dir.join(folder);
        let path = folder.join(certificate);
        let key_path = folder.join(AUTHORITY_KEY);
        if path.is_file() && key_path.is_file() {
            match read(&path, &key_path) {
                Ok((key, certificate)) => {
                    let params = authority_params(&key)?;
                    return Ok(Self {
                        issuer: Issuer::new(params, key),
                        certificate,
                        path,
                    });
                }
                Err(error) => tracing::warn!(
                    %error,
                    "the ingress's certificate authority does not read: a new one is made, \
                     to be trusted again"
                ),
            }
        }
        std::fs::create_dir_all(&folder)
            .map_err(|e| failed(&format!("making {}", folder.display()), e))?;
        let key = KeyPair::generate().map_err(|e| failed("making the authority's key", e))?;
        let made = authority_params(&key)?
            .self_signed(&key)
            .map_err(|e| failed("making the authority's certificate", e))?;
        // Each file whole or not at all (written apart, then renamed), the key first: a
        // certificate is never there without its key.
        write_whole(&key_path, key.serialize_pem().as_bytes(), true)?;
        write_whole(&path, made.pem().as_bytes(), false)?;
        Ok(Self {
            issuer: Issuer::new(authority_params(&key)?, key),
            certificate: made.der().clone(),
            path,
        })
    }

    /// A certificate for `host` (a name under `localhost`), with the authority's after it.
    fn issue(&self, host: &str) -> Result<CertifiedKey, IngressError> {
        let mut params = CertificateParams::new(Vec::<String>::new())
            .map_err(|e| failed("a certificate's parameters", e))?;
        // A name X.509 allows in a common name (64 characters); the alternative name is
        // what clients check.
        if host.len() <= 64 {
            params.distinguished_name.push(DnType::CommonName, host);
        }
        params.subject_alt_names = vec![SanType::DnsName(
            host.try_into().map_err(|e| failed(host, e))?,
        )];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.use_authority_key_identifier_extension = true;
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(1);
        // Under the 398 days browsers accept for a server's certificate.
        params.not_after = now + time::Duration::days(390);
        let key = KeyPair::generate().map_err(|e| failed("making a key", e))?;
        let certificate = params
            .signed_by(&key, &self.issuer)
            .map_err(|e| failed(&format!("signing {host}'s certificate"), e))?;
        let signing = rustls::crypto::ring::sign::any_supported_type(&PrivateKeyDer::Pkcs8(
            PrivatePkcs8KeyDer::from(key.serialize_der()),
        ))
        .map_err(|e| failed("reading a key", e))?;
        Ok(CertifiedKey::new(
            vec![certificate.der().clone(), self.certificate.clone()],
            signing,
        ))
    }
}

/// The first certificate of a PEM file.
fn pem_certificate(pem: &[u8]) -> Option<CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject as _;
    CertificateDer::pem_slice_iter(pem).next()?.ok()
}

/// The authority's key and certificate as kept, when the certificate is the key's.
fn read(path: &Path, key_path: &Path) -> Result<(KeyPair, CertificateDer<'static>), IngressError> {
    let key = std::fs::read_to_string(key_path)
        .map_err(|e| failed(&format!("reading {}", key_path.display()), e))?;
    let key = KeyPair::from_pem(&key)
        .map_err(|e| failed(&format!("reading {}", key_path.display()), e))?;
    let pem = std::fs::read(path).map_err(|e| failed(&format!("reading {}", path.display()), e))?;
    let certificate = pem_certificate(&pem)
        .ok_or_else(|| failed(&path.display().to_string(), "no certificate in it"))?;
    // The certificate holds its key's public part as it is: found there, they belong together.
    let public = key.subject_public_key_info();
    if !certificate
        .as_ref()
        .windows(public.len())
        .any(|w| w == public.as_slice())
    {
        return Err(failed(
            &path.display().to_string(),
            "the certificate is not the key's",
        ));
    }
    Ok((key, certificate))
}

/// Writes `bytes` to `path` whole: to a file beside it, synced, then renamed over it; with
/// `private`, readable by the user only (on Unix; Windows keeps a user's data folder to the
/// user).
fn write_whole(path: &Path, bytes: &[u8], private: bool) -> Result<(), IngressError> {
    use std::io::Write as _;
    let written = path.with_extension("pem.new");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    options
        .open(&written)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&written, path))
        .map_err(|e| failed(&format!("writing {}", path.display()), e))
}

/// Gives each hostname under `localhost` its certificate as its first client asks (SNI),
/// keeping it for the next.
#[derive(Debug)]
struct ByHostname {
    authority: Authority,
    made: Mutex<HashMap<String, Arc<CertifiedKey>>>,
}

impl ResolvesServerCert for ByHostname {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let host = hello
            .server_name()?
            .trim_end_matches('.')
            .to_ascii_lowercase();
        if host != "localhost" && !host.ends_with(".localhost") {
            return None;
        }
        let mut made = self.made.lock().ok()?;
        if let Some(found) = made.get(&host) {
            return Some(Arc::clone(found));
        }
        match self.authority.issue(&host) {
            Ok(certified) => {
                if made.len() >= KEPT {
                    made.clear();
                }
                let certified = Arc::new(certified);
                made.insert(host, Arc::clone(&certified));
                Some(certified)
            }
            Err(error) => {
                tracing::warn!(%error, host, "no certificate for a hostname");
                None
            }
        }
    }
}

/// The TLS setup of the ingress's HTTPS port: certificates from `authority`, HTTP/2 or
/// HTTP/1.1 as the client offers.
pub fn server_config(authority: Authority) -> Result<Arc<rustls::ServerConfig>, IngressError> {
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| failed("the TLS setup", e))?
    .with_no_client_auth()
    .with_cert_resolver(Arc::new(ByHostname {
        authority,
        made: Mutex::new(HashMap::new()),
    }));
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
