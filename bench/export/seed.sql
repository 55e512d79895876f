-- A million feedback items for workspace :ws, written by SQLite itself in one statement
-- (the export benchmark needs rows, not the ingest path): 12 weeks of times, five channels,
-- texts of 20 to 60 characters (one in a thousand starting with "=", which the export must
-- neutralise), attributes, scores and an analysis with pain points and keywords.
-- sqlite3 DB ".parameter set :ws ws_…" ".read bench/export/seed.sql"
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999999)
INSERT INTO feedback (id, workspace_id, channel, source_key, source_id, external_id,
  respondent_id, author, text, nps, csat, ces, rating, attributes, context, occurred_at,
  received_at, sentiment, sentiment_score, analysis, analyzer_version, corrected, response_id)
SELECT
  'fb_' || printf('%032x', i),
  :ws,
  CASE i % 5 WHEN 0 THEN 'survey' WHEN 1 THEN 'webhook' WHEN 2 THEN 'social'
    WHEN 3 THEN 'import' ELSE 'interview' END,
  CASE i % 5 WHEN 0 THEN 'survey:sv_bench' WHEN 1 THEN 'webhook:src_bench'
    WHEN 2 THEN 'mentions:weibo' WHEN 3 THEN 'import:csv' ELSE 'interview:iv_bench' END,
  NULL,
  'e' || i,
  'u-' || (i % 50000),
  NULL,
  CASE WHEN i % 1000 = 0 THEN '=HYPERLINK("http://x.example","点我") ' ELSE '' END ||
  CASE i % 4
    WHEN 0 THEN '支付失败了，钱扣了但是订单没成功，客服也一直不回复，第' || i || '次遇到了'
    WHEN 1 THEN '打开就闪退，重装了也没用 #' || i
    WHEN 2 THEN '界面很清爽，用起来挺顺手的，希望以后多出一些优惠活动，编号' || i
    ELSE '快递三天了还没发货，物流信息一直不更新 ' || i END,
  CASE WHEN i % 3 = 0 THEN i % 11 END,
  CASE WHEN i % 5 = 0 THEN 1 + i % 5 END,
  NULL,
  NULL,
  json_object('city', CASE i % 3 WHEN 0 THEN '杭州' WHEN 1 THEN '北京' ELSE '成都' END,
    'plan', CASE i % 2 WHEN 0 THEN 'pro' ELSE 'free' END, 'version', '3.2.' || (i % 10)),
  json_object('row', i),
  strftime('%Y-%m-%dT%H:%M:%S+00:00', 1764547200 - i * 7, 'unixepoch'),
  strftime('%Y-%m-%dT%H:%M:%S+00:00', 1764547200 - i * 7 + 60, 'unixepoch'),
  CASE i % 4 WHEN 0 THEN 'negative' WHEN 1 THEN 'negative' WHEN 2 THEN 'positive'
    ELSE 'negative' END,
  CASE i % 4 WHEN 2 THEN 0.7 ELSE -0.7 END,
  CASE i % 4
    WHEN 0 THEN '{"sentiment":{"label":"negative","score":-0.7,"confidence":0.8},"pain_points":["payment","customer_service"],"keywords":[{"word":"支付","weight":3.1},{"word":"客服","weight":2.2}],"aspects":[],"topics":[],"language":"zh","version":"bench"}'
    WHEN 1 THEN '{"sentiment":{"label":"negative","score":-0.7,"confidence":0.8},"pain_points":["crash"],"keywords":[{"word":"闪退","weight":3.5}],"aspects":[],"topics":[],"language":"zh","version":"bench"}'
    WHEN 2 THEN '{"sentiment":{"label":"positive","score":0.7,"confidence":0.8},"pain_points":[],"keywords":[{"word":"界面","weight":2.0},{"word":"优惠","weight":1.5}],"aspects":[],"topics":[],"language":"zh","version":"bench"}'
    ELSE '{"sentiment":{"label":"negative","score":-0.7,"confidence":0.8},"pain_points":["delivery"],"keywords":[{"word":"发货","weight":3.0},{"word":"物流","weight":2.8}],"aspects":[],"topics":[],"language":"zh","version":"bench"}' END,
  'bench',
  0,
  NULL
FROM n;
