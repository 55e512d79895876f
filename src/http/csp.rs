//! Content-Security-Policy for HTML answers: a hash source for a page's own inline script or
//! style, and the strict policy every HTML answer without one of its own gets.

/// A CSP source allowing one inline `<script>` or `<style>` element with exactly this text.
pub fn csp_hash(text: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The policy of an HTML answer that sets none of its own: nothing loads, nothing runs,
/// nothing frames it.
pub const FALLBACK_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Every HTML answer carries a Content-Security-Policy. Pages set their own (the console's,
/// the survey pages', the API docs', the unsubscribe pages'); any other HTML answer (an error
/// page built elsewhere, a page added later and forgotten) gets [`FALLBACK_CSP`].
pub async fn html_needs_csp(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use actix_web::http::header::{HeaderValue, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    let html = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"));
    if html && !headers.contains_key(CONTENT_SECURITY_POLICY) {
        headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(FALLBACK_CSP),
        );
    }
    Ok(res)
}
