//! A Google Play source's key and what it signs: the service account's RSA private key (PEM,
//! PKCS#8 as Google Cloud issues it, or PKCS#1) read with ring, and the OAuth 2.0 JWT bearer
//! assertion (RS256) exchanged for an access token. The key never leaves this type: not in
//! `Debug`, not in an error.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{DateTime, Utc};
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde_json::json;

/// The OAuth scope of the Android Publisher API.
pub const SCOPE: &str = "https://www.googleapis.com/auth/androidpublisher";

/// How long an assertion is valid: Google takes at most an hour after `iat`.
pub const ASSERTION_SECS: i64 = 3600;

/// Longest PEM text read (a 4096-bit key is about 3,300 characters).
const MAX_PEM_CHARS: usize = 16 * 1024;

/// Why a private key cannot be used. The words never quote the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("is not a PEM private key (-----BEGIN PRIVATE KEY----- … -----END PRIVATE KEY-----)")]
    NotPem,
    #[error("is encrypted; the JSON key file's key is not")]
    Encrypted,
    #[error("is not an RSA private key that can sign ({0})")]
    NotRsa(String),
    #[error("could not sign")]
    Sign,
}

/// An RSA private key that signs RS256.
pub struct SigningKey(RsaKeyPair);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// Reads the PEM text of a JSON key file's `private_key` (with `\n` as real line breaks,
    /// or still escaped when pasted twice).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        if pem.len() > MAX_PEM_CHARS {
            return Err(KeyError::NotPem);
        }
        let pem = pem.replace("\\n", "\n");
        let (label, der) = pem_block(&pem).ok_or(KeyError::NotPem)?;
        let pair = match label {
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
            "ENCRYPTED PRIVATE KEY" => return Err(KeyError::Encrypted),
            _ => return Err(KeyError::NotPem),
        };
        pair.map(SigningKey)
            .map_err(|e| KeyError::NotRsa(e.to_string()))
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message`.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut sig = vec![0; self.0.public().modulus_len()];
        self.0
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig)
            .map_err(|_| KeyError::Sign)?;
        Ok(sig)
    }

    /// The public key (PKCS#1 `RSAPublicKey`, DER), as ring verifies with it.
    pub fn public_key_der(&self) -> &[u8] {
        self.0.public().as_ref()
    }
}

/// The first PEM block of `text`: its label and decoded body.
fn pem_block(text: &str) -> Option<(&str, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + "-----BEGIN ".len()..];
    let label_end = rest.find("-----")?;
    let label = &rest[..label_end];
    let body_and_end = &rest[label_end + 5..];
    let end = body_and_end.find(&format!("-----END {label}-----"))?;
    let body: String = body_and_end[..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = STANDARD.decode(body).ok()?;
    (!der.is_empty()).then_some((label, der))
}

/// The signed JWT a service account trades for an access token: header
/// `{"alg":"RS256","typ":"JWT"}`; claims `iss` (the account's email), `scope`, `aud` (the
/// token endpoint it is sent to), `iat` and `exp` (one hour later); each part base64url
/// without padding.
pub fn assertion(
    key: &SigningKey,
    client_email: &str,
    audience: &str,
    now: DateTime<Utc>,
) -> Result<String, KeyError> {
    let iat = now.timestamp();
    let header = json!({"alg": "RS256", "typ": "JWT"});
    let claims = json!({
        "iss": client_email,
        "scope": SCOPE,
        "aud": audience,
        "iat": iat,
        "exp": iat + ASSERTION_SECS,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = key.sign(signing_input.as_bytes())?;
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
    use serde_json::Value;

    /// A key made for these tests only (`openssl genpkey -algorithm RSA -pkeyopt
    /// rsa_keygen_bits:2048`), in a service-account key file; never used anywhere else.
    const KEY_FILE: &str =
        include_str!("../../../tests/fixtures/stores/google_play_service_account_TEST_ONLY.json");
    const KEY_PKCS1: &str =
        include_str!("../../../tests/fixtures/stores/google_play_private_key_pkcs1_TEST_ONLY.pem");
    /// Its public key as openssl wrote it (`openssl rsa -RSAPublicKey_out`).
    const PUBLIC_PEM: &str =
        include_str!("../../../tests/fixtures/stores/google_play_public_key_TEST_ONLY.pem");

    fn key_pem() -> String {
        let file: Value = serde_json::from_str(KEY_FILE).unwrap();
        file["private_key"].as_str().unwrap().to_owned()
    }

    fn public_der() -> Vec<u8> {
        let (label, der) = pem_block(PUBLIC_PEM).unwrap();
        assert_eq!(label, "RSA PUBLIC KEY");
        der
    }

    /// The signing input of the documentation's example claim set
    /// (`google_play_jwt_claims_doc_example.json`, compact, in its order) under the RS256 header,
    /// and its signature by the test key as computed outside Rust:
    /// `printf %s "$INPUT" | openssl dgst -sha256 -sign key.pem | basenc --base64url`
    /// (padding removed). RSASSA-PKCS1-v1_5 is deterministic, so ring must give the same bytes.
    const DOC_INPUT: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiI3NjEzMjY3OTgwNjktcjVtbGpsbG4xcmQ0bHJiaGc3NWVmZ2lncDM2bTc4ajVAZGV2ZWxvcGVyLmdzZXJ2aWNlYWNjb3VudC5jb20iLCJzY29wZSI6Imh0dHBzOi8vd3d3Lmdvb2dsZWFwaXMuY29tL2F1dGgvZGV2c3RvcmFnZS5yZWFkX29ubHkiLCJhdWQiOiJodHRwczovL29hdXRoMi5nb29nbGVhcGlzLmNvbS90b2tlbiIsImV4cCI6MTMyODU1NDM4NSwiaWF0IjoxMzI4NTUwNzg1fQ";
    const DOC_SIGNATURE_BY_OPENSSL: &str = "TLq4fWvm5ocBtYhKL63-rF84MJ1JWmg3NWgDxoMDdz1FfnRSWFOtVeGaCLy42safe0cDyFCbTb98V1Y0Y0m8jmVGEmi9Nr6SFe4nb060ymK2gqH6krwA8byMsH2UE1apGLzmQRrwWOxZtBfAWAq8NnLWgWCiR_iuqDEH4Z7uH1shRd1pF7Kdjhn28z9B91gBRISG51E621dH8lV4lc-5ikpYPgJlJdSiqtKcKxKYY9VD0xfRIIpCOF3932Ftnjd6I5z_gwzSyoyQECNODwAmnhFlGwpcB1No1Mmy22zRls-QyoNNj4qvzhX4aJbf84ow8ctmLCnCceSKw0unNPR3xQ";

    #[test]
    fn signs_as_openssl_does() {
        let doc: Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/stores/google_play_jwt_claims_doc_example.json"
        ))
        .unwrap();
        let claims_part = DOC_INPUT.split('.').nth(1).unwrap();
        let decoded: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims_part).unwrap()).unwrap();
        assert_eq!(decoded, doc, "the vector signs the documented claims");

        for pem in [key_pem(), KEY_PKCS1.to_owned()] {
            let key = SigningKey::from_pem(&pem).unwrap();
            let sig = key.sign(DOC_INPUT.as_bytes()).unwrap();
            assert_eq!(URL_SAFE_NO_PAD.encode(&sig), DOC_SIGNATURE_BY_OPENSSL);
            assert_eq!(key.public_key_der(), public_der().as_slice());
        }
    }

    #[test]
    fn the_assertion_verifies_with_the_public_key_and_says_what_google_asks() {
        let key = SigningKey::from_pem(&key_pem()).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 8, 0, 0).unwrap();
        let aud = "https://oauth2.googleapis.com/token";
        let jwt = assertion(&key, "reviews@p.iam.gserviceaccount.com", aud, now).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert!(!jwt.contains('='), "base64url without padding");
        let signed = format!("{}.{}", parts[0], parts[1]);
        let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_der())
            .verify(signed.as_bytes(), &sig)
            .expect("the signature verifies with the public key");
        // Any change to what was signed breaks it.
        let tampered = signed.replacen("ey", "eY", 1);
        assert!(
            UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_der())
                .verify(tampered.as_bytes(), &sig)
                .is_err()
        );

        let decode = |p: &str| -> Value {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
        };
        assert_eq!(decode(parts[0]), json!({"alg": "RS256", "typ": "JWT"}));
        let claims = decode(parts[1]);
        assert_eq!(claims["iss"], "reviews@p.iam.gserviceaccount.com");
        assert_eq!(claims["scope"], SCOPE);
        assert_eq!(claims["aud"], aud);
        let (iat, exp) = (
            claims["iat"].as_i64().unwrap(),
            claims["exp"].as_i64().unwrap(),
        );
        assert_eq!(iat, now.timestamp());
        assert!(exp > iat && exp - iat <= 3600);
        assert_eq!(claims.as_object().unwrap().len(), 5);
    }

    #[test]
    fn what_is_not_a_usable_key_is_refused_without_quoting_it() {
        let placeholder: Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/stores/google_play_service_account_key_constructed.json"
        ))
        .unwrap();
        let placeholder = placeholder["private_key"].as_str().unwrap();
        assert_eq!(
            SigningKey::from_pem(placeholder).unwrap_err(),
            KeyError::NotPem
        );
        assert_eq!(SigningKey::from_pem("").unwrap_err(), KeyError::NotPem);
        assert_eq!(
            SigningKey::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")
                .unwrap_err(),
            KeyError::NotPem
        );
        assert_eq!(
            SigningKey::from_pem(
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----"
            )
            .unwrap_err(),
            KeyError::Encrypted
        );
        // An EC P-256 key (made for this test with openssl) is a key, but not RSA.
        let ec = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgf0CqI4pDKFbut3xX\nDd9oSXjYJ+Tty630pIJsr6gbFlShRANCAARP2NdH41o51kF4VM+ewpVV3Debldp3\nurx7NUwMIeBbG+vgrjcSbj53LxwvlNViI3DyVuLWbw625UyG7G9aOtP/\n-----END PRIVATE KEY-----\n";
        let err = SigningKey::from_pem(ec).unwrap_err();
        assert!(matches!(err, KeyError::NotRsa(_)), "{err:?}");
        assert!(!err.to_string().contains("MIGHAgEA"));
        // A key pasted with its JSON escapes still in it reads the same.
        let escaped = key_pem().replace('\n', "\\n");
        assert!(SigningKey::from_pem(&escaped).is_ok());
        let key = SigningKey::from_pem(&key_pem()).unwrap();
        assert_eq!(format!("{key:?}"), "SigningKey(..)");
    }
}
