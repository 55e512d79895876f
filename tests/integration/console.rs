//! The console signed in through its login form: the client the console tests share works.

use serde_json::json;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(a_signed_in_admin_sees_settings_and_a_fetch_without_csrf_is_refused);

async fn a_signed_in_admin_sees_settings_and_a_fetch_without_csrf_is_refused(app: TestApp) {
    let admin = app.console("admin").await;
    assert!(
        !admin.csrf.is_empty(),
        "pages carry the session's CSRF token"
    );
    let page = admin.page("/manage/settings").await;
    assert!(page.contains("工作区设置"));
    let refused = admin
        .client
        .patch(app.url("/api/v1/workspace"))
        .header("X-Tingjian-Workspace", &app.workspace_id)
        .json(&json!({"name": "改名"}))
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), 403);
    let ok = admin
        .api("PATCH", "/api/v1/workspace", Some(&json!({"name": "改名"})))
        .await;
    assert_eq!(ok.status(), 200);
}
