//! Templates and the headers every page goes out with. Templates are compiled into the binary
//! and auto-escaped (every `.html` template escapes what it prints unless told `|safe`, which
//! no template uses for anything a person typed). The Content-Security-Policy allows only this
//! origin's own script, stylesheet and images: no inline script or style can run, so a piece
//! of feedback that slipped through as markup would still be inert.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use minijinja::{Environment, Value};

/// The console's policy; pages carry nothing inline. `frame-src 'self'` lets the survey
/// builder show its preview (`/console/w/{ws}/surveys/{id}/preview`).
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'";

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/console/", $name)))),*]
    };
}

/// Every template, by name.
const TEMPLATES: &[(&str, &str)] = embedded!(
    "base.html",
    "macros.html",
    "login.html",
    "set_password.html",
    "message.html",
    "members.html",
    "settings.html",
    "scope.html",
    "home.html",
    "pain_points.html",
    "pain_point.html",
    "inbox.html",
    "feedback.html",
    "survey_macros.html",
    "survey_list.html",
    "survey_builder.html",
    "survey_share.html",
    "survey_results.html",
    "survey_answers.html",
    "survey_responses.html",
    "manage_sources.html",
    "manage_import.html",
    "manage_interviews.html",
    "manage_subscriptions.html",
    "manage_dictionary.html",
    "manage_categories.html",
    "manage_keys.html",
);

pub(super) fn templates() -> anyhow::Result<Environment<'static>> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            minijinja::AutoEscape::Html
        } else {
            minijinja::AutoEscape::None
        }
    });
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
    env.add_filter("num", num);
    env.add_filter("signed", signed);
    env.add_filter("pct", pct);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .map_err(|e| anyhow::anyhow!("template {name}: {e}"))?;
    }
    Ok(env)
}

/// A page's values for a template (minijinja 3 takes serde values through its `Serde` wrapper).
pub(super) fn values(v: impl serde::Serialize) -> Value {
    Value::from(minijinja::value::Serde(v))
}

/// A count with thousands separators: 1234567 → 1,234,567; other numbers to one decimal.
fn num(v: Value) -> String {
    match f64::try_from(v.clone()) {
        Ok(x) if x.fract() == 0.0 && x.abs() < 1e15 => group(x as i64),
        Ok(x) => format!("{x:.1}"),
        Err(_) => v.to_string(),
    }
}

fn group(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// A change with its sign: +3.2, −1.5 (a true minus sign), 0.
fn signed(v: Value) -> String {
    match f64::try_from(v) {
        Ok(x) if x > 0.0 => format!("+{}", trim(x)),
        Ok(x) if x < 0.0 => format!("−{}", trim(-x)),
        Ok(_) => "0".into(),
        Err(_) => String::new(),
    }
}

/// A share 0..1 as a percentage: 0.253 → 25.3%.
fn pct(v: Value) -> String {
    match f64::try_from(v) {
        Ok(x) => format!("{}%", trim(x * 100.0)),
        Err(_) => String::new(),
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

/// Renders a page with the console's headers; a template that fails is a bug, logged, and
/// answered with a plain 500 page that says nothing internal.
pub(super) fn page(templates: &Environment<'static>, name: &str, ctx: Value) -> HttpResponse {
    page_with_status(templates, StatusCode::OK, name, ctx)
}

pub(super) fn page_with_status(
    templates: &Environment<'static>,
    status: StatusCode,
    name: &str,
    ctx: Value,
) -> HttpResponse {
    match templates.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => html_response(status, html),
        Err(e) => {
            tracing::error!(template = name, error = %e, "template failed");
            html_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!doctype html><meta charset=utf-8><title>出错了 · 听见</title>\
                 <p>页面出错了，请稍后再试。</p>"
                    .into(),
            )
        }
    }
}

pub(super) fn html_response(status: StatusCode, html: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", CSP))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "same-origin"))
        .insert_header(("Cache-Control", "no-store"))
        .body(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_the_way_people_write_them() {
        assert_eq!(num(Value::from(1234567)), "1,234,567");
        assert_eq!(num(Value::from(-1200)), "-1,200");
        assert_eq!(num(Value::from(12.345)), "12.3");
        assert_eq!(signed(Value::from(3.26)), "+3.3");
        assert_eq!(signed(Value::from(-1.0)), "−1");
        assert_eq!(pct(Value::from(0.253)), "25.3%");
        assert_eq!(pct(Value::from(0.5)), "50%");
    }

    #[test]
    fn every_template_compiles_and_escapes() {
        let env = templates().unwrap();
        let t = env
            .template_from_named_str("probe.html", "{{ text }}")
            .unwrap();
        let out = t
            .render(minijinja::context! { text => "<script>alert(1)</script>" })
            .unwrap();
        assert!(out.starts_with("&lt;script&gt;alert(1)&lt;") && !out.contains('<'));
    }
}
