//! Group commit: many single-item deliveries at once, written by the store's writer in shared
//! transactions. Whatever lands in which batch, each answered item is stored exactly once, a
//! redelivery is answered as one, and a bad delivery fails alone.

use std::collections::{HashMap, HashSet};

use serde_json::{json, Value};
use tingjian::collect::webhook::sign;

use crate::helpers::{Backend, TestApp};
use crate::webhooks::now;
use crate::{both_backends, each_backend};

both_backends!(concurrent_deliveries_are_stored_once_each);
each_backend!(concurrent_survey_submissions_are_stored_once_each);

/// What one delivery is, and so what its answer must be.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// A delivery with its own id and its own item.
    Fresh,
    /// The same id and body as a fresh one, sent at the same time.
    Again,
    /// A new id carrying an item another delivery carries (the same external id).
    SameItem,
    /// Signed with the wrong secret.
    BadSignature,
    /// Signed, but its item has no text.
    Invalid,
}

async fn concurrent_deliveries_are_stored_once_each(app: TestApp) {
    let res = app
        .post_json(
            "/api/v1/sources",
            &json!({"kind": "webhook", "name": "并发"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let src: Value = res.json().await.unwrap();
    let (source, secret) = (
        src["id"].as_str().unwrap().to_owned(),
        src["secret"].as_str().unwrap().to_owned(),
    );
    let wrong = tingjian::collect::webhook::generate_secret();

    // (kind, webhook-id, body, secret)
    let mut plan: Vec<(Kind, String, String, String)> = Vec::new();
    for i in 0..120 {
        let body = json!({"text": format!("第{i}条：支付失败，页面一直转圈"), "external_id": format!("e{i}")})
            .to_string();
        plan.push((
            Kind::Fresh,
            format!("msg_{i}"),
            body.clone(),
            secret.clone(),
        ));
        if i % 4 == 0 {
            for _ in 0..2 {
                plan.push((
                    Kind::Again,
                    format!("msg_{i}"),
                    body.clone(),
                    secret.clone(),
                ));
            }
        }
        if i % 10 == 3 {
            plan.push((Kind::SameItem, format!("other_{i}"), body, secret.clone()));
        }
        if i % 8 == 5 {
            let bad = json!({"text": "不该被存下", "external_id": format!("bad{i}")}).to_string();
            plan.push((Kind::BadSignature, format!("bad_{i}"), bad, wrong.clone()));
        }
        if i % 8 == 6 {
            let empty = json!({"text": "", "external_id": format!("empty{i}")}).to_string();
            plan.push((Kind::Invalid, format!("empty_{i}"), empty, secret.clone()));
        }
    }
    // Interleaved, so that a delivery and its duplicates travel apart and together.
    let n = plan.len();
    let order: Vec<usize> = (0..n).map(|k| (k * 41) % n).collect();
    assert_eq!(
        order.iter().collect::<HashSet<_>>().len(),
        n,
        "41 and n coprime"
    );

    let hook = app.url(&format!("/hooks/{source}"));
    let mut tasks = tokio::task::JoinSet::new();
    for &k in &order {
        let (kind, id, body, key) = plan[k].clone();
        let (client, hook) = (app.client.clone(), hook.clone());
        tasks.spawn(async move {
            let ts = now().to_string();
            let sig = sign(&key, &id, &ts, body.as_bytes()).unwrap();
            let res = client
                .post(&hook)
                .header("content-type", "application/json")
                .header("webhook-id", &id)
                .header("webhook-timestamp", &ts)
                .header("webhook-signature", sig)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let ct = res
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let answer: Value = res.json().await.unwrap();
            (kind, id, status, ct, answer)
        });
    }
    let mut answers = Vec::new();
    while let Some(done) = tasks.join_next().await {
        answers.push(done.unwrap());
    }
    assert_eq!(answers.len(), n);

    // Per webhook-id of the fresh deliveries: how many were taken, how many were replays.
    let mut taken: HashMap<String, (u32, u32)> = HashMap::new();
    for (kind, id, status, ct, answer) in &answers {
        match kind {
            Kind::Fresh | Kind::Again => {
                assert_eq!(*status, 200, "{kind:?} {id}: {answer}");
                let entry = taken.entry(id.clone()).or_default();
                if answer["replayed"] == true {
                    entry.1 += 1;
                    assert_eq!(
                        answer,
                        &json!({"stored": 0, "duplicates": 1, "replayed": true}),
                        "a redelivery answers what the first delivery stored: {id}"
                    );
                } else {
                    entry.0 += 1;
                    assert_eq!(answer["replayed"], false, "{id}");
                    let (stored, duplicates) = (
                        answer["stored"].as_u64().unwrap(),
                        answer["duplicates"].as_u64().unwrap(),
                    );
                    assert_eq!(stored + duplicates, 1, "{id}: {answer}");
                    // Only an item another delivery also carries may be found stored.
                    let shared = id["msg_".len()..].parse::<u32>().unwrap() % 10 == 3;
                    assert!(shared || stored == 1, "{id}: {answer}");
                }
            }
            Kind::SameItem => {
                // Its item is the fresh delivery's: stored once, by whichever came first.
                assert_eq!(*status, 200, "{id}: {answer}");
                assert_eq!(answer["replayed"], false);
                assert_eq!(
                    answer["stored"].as_u64().unwrap() + answer["duplicates"].as_u64().unwrap(),
                    1
                );
            }
            Kind::BadSignature | Kind::Invalid => {
                let want = if *kind == Kind::BadSignature {
                    (401, "invalid_signature")
                } else {
                    (422, "validation_failed")
                };
                assert_eq!(*status, want.0, "{kind:?} {id}: {answer}");
                assert!(ct.starts_with("application/problem+json"), "{ct}");
                assert_eq!(answer["code"], want.1);
            }
        }
    }
    assert_eq!(taken.len(), 120);
    for (id, (new, replays)) in &taken {
        assert_eq!(*new, 1, "{id} was taken exactly once");
        let copies = if id["msg_".len()..].parse::<u32>().unwrap() % 4 == 0 {
            2
        } else {
            0
        };
        assert_eq!(*replays, copies, "{id}'s copies were answered as replays");
    }
    // A delivery with the same item as a fresh one: one of the two stored it.
    for i in (0..120).filter(|i| i % 10 == 3) {
        let stored: u64 = answers
            .iter()
            .filter(|(_, id, ..)| *id == format!("msg_{i}") || *id == format!("other_{i}"))
            .map(|(.., a)| a["stored"].as_u64().unwrap())
            .sum();
        assert_eq!(stored, 1, "item e{i} stored by one delivery");
    }

    // Stored: every fresh item once, nothing of the refused deliveries.
    let items = app.all_feedback("").await;
    let ids: Vec<&str> = items
        .iter()
        .map(|f| f["external_id"].as_str().unwrap())
        .collect();
    let distinct: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), distinct.len(), "no item stored twice");
    let expected: HashSet<String> = (0..120).map(|i| format!("e{i}")).collect();
    assert_eq!(
        distinct,
        expected.iter().map(String::as_str).collect::<HashSet<_>>()
    );
    // Every item went through analysis before it was stored.
    assert!(items.iter().all(|f| f["sentiment"].is_string()), "analysed");

    // A redelivery after the burst is still a replay.
    let body = plan[0].2.clone();
    let res = crate::webhooks::deliver(&app, &source, &secret, "msg_0", now(), &body).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"stored": 0, "duplicates": 1, "replayed": true})
    );
}

/// Survey responses go through the writer one by one, each in a savepoint of the batch: the
/// same response submitted twice at once is stored once and answered once as a replay, and
/// an invalid submission beside them is refused alone.
async fn concurrent_survey_submissions_are_stored_once_each(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |s| s.survey_rate_per_minute = 10_000).await
    else {
        return;
    };
    let survey = crate::surveys::create_survey(&app, &crate::surveys::nps_survey()).await;
    let url = app.url(&format!("/s/{survey}/responses"));
    let mut tasks = tokio::task::JoinSet::new();
    for k in 0..90 {
        let (client, url) = (app.client.clone(), url.clone());
        let i = k % 30;
        // 30 responses, each sent three times; every seventh also sent once with an NPS of 11.
        let body = if k % 7 == 0 && k >= 30 {
            json!({"answers": {"q1": 11}, "response_id": format!("bad-response-{k}")})
        } else {
            json!({"answers": {"q1": i % 7, "q2": format!("第{i}份：结账太卡了")},
                "response_id": format!("response-{i:04}")})
        };
        tasks.spawn(async move {
            let res = client.post(&url).json(&body).send().await.unwrap();
            let status = res.status().as_u16();
            let answer: Value = res.json().await.unwrap();
            (body, status, answer)
        });
    }
    let mut fresh: HashMap<String, u32> = HashMap::new();
    let mut replays: HashMap<String, u32> = HashMap::new();
    let mut refused = 0;
    while let Some(done) = tasks.join_next().await {
        let (body, status, answer) = done.unwrap();
        let rid = body["response_id"].as_str().unwrap().to_owned();
        match status {
            201 => {
                assert_eq!(answer["replayed"], false, "{answer}");
                *fresh.entry(rid).or_default() += 1;
            }
            200 => {
                assert_eq!(answer["replayed"], true, "{answer}");
                *replays.entry(rid).or_default() += 1;
            }
            422 => {
                assert!(rid.starts_with("bad-"), "{rid}: {answer}");
                assert_eq!(answer["code"], "validation_failed");
                refused += 1;
            }
            other => panic!("{other} for {body}: {answer}"),
        }
    }
    let sent_bad = (30..90).filter(|k| k % 7 == 0).count();
    assert_eq!(refused, sent_bad);
    assert_eq!(fresh.len(), 30, "every response stored");
    assert!(
        fresh.values().all(|&n| n == 1),
        "each stored once: {fresh:?}"
    );
    let good_copies = 90 - sent_bad;
    assert_eq!(
        replays.values().sum::<u32>() as usize,
        good_copies - 30,
        "the other copies answered as replays"
    );
    let items = app.all_feedback(&format!("source={survey}")).await;
    assert_eq!(items.len(), 30, "one text answer per response, once");
    let got: Value = app
        .get(&format!("/api/v1/surveys/{survey}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["response_count"], 30);
}
