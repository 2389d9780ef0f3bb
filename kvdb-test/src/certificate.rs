//! The TLS test server's certificates: a test CA and a server certificate it signed.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::server::SpawnError;

/// A test CA and a server certificate it signed for 127.0.0.1 and localhost, once per
/// server directory (rustls refuses a CA certificate used as the server's own).
pub(crate) fn make_certificate(dir: &Path) -> Result<(), SpawnError> {
    if dir.join("tls.crt").exists() {
        return Ok(());
    }
    std::fs::write(
        dir.join("tls.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .map_err(|e| SpawnError::Failed(format!("writing tls.ext: {e}")))?;
    let steps: [&[&str]; 3] = [
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=kvdb-test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ],
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "tls.key",
            "-out",
            "tls.csr",
        ],
        &[
            "x509",
            "-req",
            "-in",
            "tls.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "tls.ext",
            "-out",
            "tls.crt",
        ],
    ];
    for args in steps {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        match status {
            Ok(status) if status.success() => {}
            Ok(status) => {
                return Err(SpawnError::Failed(format!(
                    "openssl {} exited with {status}",
                    args[0]
                )))
            }
            Err(e) => {
                return Err(SpawnError::Missing(format!(
                    "`openssl` is needed for a TLS test server: install it \
                     (`apt-get install openssl`): {e}"
                )))
            }
        }
    }
    Ok(())
}
