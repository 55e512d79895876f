//! Personal data redaction: mobile numbers, ID-card numbers, bank cards and emails are
//! replaced by placeholders before the text is stored or analysed.

use once_cell::sync::Lazy;
use regex::Regex;

static EMAIL: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})*\.[A-Za-z]{2,24}",
    )
    .expect("email pattern is valid")
});
/// Digit runs, allowing the single spaces or dashes people put in card and phone numbers,
/// and an X at the end (ID cards).
static NUMBER: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"(?:\+?86[\s\-]?)?\d(?:[\s\-]?\d){9,22}[Xx]?").expect("number pattern is valid")
});

pub const PHONE: &str = "[手机号]";
pub const ID_CARD: &str = "[身份证号]";
pub const BANK_CARD: &str = "[银行卡号]";
pub const EMAIL_ADDRESS: &str = "[邮箱]";

/// Redacts personal data; returns the text unchanged (borrowed) when there is none.
pub fn redact(text: &str) -> std::borrow::Cow<'_, str> {
    let mut out = std::borrow::Cow::Borrowed(text);
    if text.contains('@') {
        if let std::borrow::Cow::Owned(s) = EMAIL.replace_all(text, EMAIL_ADDRESS) {
            out = std::borrow::Cow::Owned(s);
        }
    }
    if !out.bytes().any(|b| b.is_ascii_digit()) {
        return out;
    }
    let replaced = NUMBER.replace_all(&out, |caps: &regex::Captures| {
        let m = &caps[0];
        // A longer run glued to letters or digits on either side is some other identifier.
        classify(m).map_or_else(|| m.to_owned(), str::to_owned)
    });
    match replaced {
        std::borrow::Cow::Owned(s) => std::borrow::Cow::Owned(s),
        std::borrow::Cow::Borrowed(_) => out,
    }
}

fn classify(candidate: &str) -> Option<&'static str> {
    let digits: String = candidate
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'X' || *c == 'x')
        .collect();
    let core = digits
        .strip_prefix("86")
        .filter(|d| d.len() == 11)
        .unwrap_or(&digits);
    if core.len() == 11 && core.starts_with('1') && matches!(core.as_bytes()[1], b'3'..=b'9') {
        return Some(PHONE);
    }
    if digits.len() == 18 && is_id_card(&digits) {
        return Some(ID_CARD);
    }
    if (16..=19).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && luhn(&digits)
    {
        return Some(BANK_CARD);
    }
    None
}

/// Mainland resident ID: 17 digits and a check character (ISO 7064 MOD 11-2).
fn is_id_card(s: &str) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let b = s.as_bytes();
    if !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = b[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| (d - b'0') as u32 * w)
        .sum();
    CHECK[(sum % 11) as usize] == b[17].to_ascii_uppercase()
}

fn luhn(s: &str) -> bool {
    let sum: u32 = s
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = (b - b'0') as u32;
            if i % 2 == 1 {
                let dd = d * 2;
                if dd > 9 {
                    dd - 9
                } else {
                    dd
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_each_kind() {
        assert_eq!(
            redact("我手机号13812345678收不到验证码"),
            "我手机号[手机号]收不到验证码"
        );
        assert_eq!(redact("电话 +86 138-1234-5678"), "电话 [手机号]");
        assert_eq!(
            redact("邮箱 zhang.san@example.com 联系我"),
            "邮箱 [邮箱] 联系我"
        );
        // A made-up ID number with a valid check digit.
        assert_eq!(redact("身份证11010519491231002X"), "身份证[身份证号]");
        assert_eq!(
            redact("卡号 6222 0000 0000 0000 004 扣款了"),
            "卡号 [银行卡号] 扣款了"
        );
        assert_eq!(redact("卡号4111111111111111"), "卡号[银行卡号]");
    }

    #[test]
    fn leaves_other_numbers() {
        for s in [
            "订单号 202611200001234567 没到",
            "等了 30 分钟",
            "版本 10.2.3",
            "价格 12345678901234",
        ] {
            assert_eq!(redact(s), s);
        }
        assert!(matches!(redact("没有数字"), std::borrow::Cow::Borrowed(_)));
    }
}
