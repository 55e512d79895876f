//! The names people read: channels and platforms in Chinese, for API answers meant for
//! people and for what the service writes to them. Codes (`social`, `weibo`) stay as they are
//! for machines.

use super::Channel;

/// A channel as a team in China calls it.
pub fn channel_name(c: Channel) -> &'static str {
    match c {
        Channel::Survey => "问卷",
        Channel::Webhook => "Webhook 推送",
        Channel::Interview => "用户访谈",
        Channel::Social => "社交媒体",
        Channel::Import => "文件导入",
        Channel::Review => "应用商店评价",
    }
}

/// A channel code as people read it: its Chinese name, or an unknown code as it is.
pub fn channel_label(code: &str) -> String {
    Channel::parse(code)
        .map(|c| channel_name(c).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

/// A platform or tool by its code (`weibo`, `wjx`, `app_store` …); `None` for one this build
/// does not know, which is then shown by its code.
pub fn platform_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "weibo" => "微博",
        "xiaohongshu" => "小红书",
        "zhihu" => "知乎",
        "bilibili" => "哔哩哔哩",
        "douyin" => "抖音",
        "kuaishou" => "快手",
        "wechat" => "微信",
        "tieba" => "百度贴吧",
        "douban" => "豆瓣",
        "feed" => "订阅源",
        "wjx" => "问卷星",
        "tencent_wj" => "腾讯问卷",
        "typeform" => "Typeform",
        "formbricks" => "Formbricks",
        "tally" => "Tally",
        "surveymonkey" => "SurveyMonkey",
        "survicate" => "Survicate",
        "app_store" => "App Store",
        "google_play" => "Google Play",
        _ => return None,
    })
}

/// A respondent attribute's usual key as people call it (`app_version` → 版本); `None` for
/// a key this build does not know, which is then shown as it is.
pub fn attribute_name(key: &str) -> Option<&'static str> {
    Some(match key.to_ascii_lowercase().as_str() {
        "app_version" | "version" | "appversion" => "版本",
        "platform" => "平台",
        "os" | "os_version" => "系统",
        "device" | "device_model" | "model" => "机型",
        "plan" => "套餐",
        "city" => "城市",
        "province" => "省份",
        "region" => "地区",
        "country" => "国家",
        "language" | "lang" | "locale" => "语言",
        "gender" => "性别",
        "age" | "age_group" => "年龄段",
        "tier" | "level" | "member_level" | "vip" => "会员等级",
        "store" | "shop" => "门店",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_has_a_chinese_name() {
        for c in Channel::ALL {
            assert!(channel_name(c)
                .chars()
                .any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)));
        }
        assert_eq!(platform_name("xiaohongshu"), Some("小红书"));
        assert_eq!(platform_name("wjx"), Some("问卷星"));
        assert_eq!(channel_name(Channel::Review), "应用商店评价");
        assert_eq!(
            Channel::must_be(),
            "must be survey, webhook, interview, social, import or review"
        );
        assert_eq!(platform_name("example.com"), None);
        assert_eq!(channel_label("social"), "社交媒体");
        assert_eq!(channel_label("fax"), "fax");
        assert_eq!(attribute_name("app_version"), Some("版本"));
        assert_eq!(attribute_name("Platform"), Some("平台"));
        assert_eq!(attribute_name("order_id"), None);
    }
}
