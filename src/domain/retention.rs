//! How long a workspace keeps its feedback: a number of days within bounds, parsed once.

use super::FieldError;

/// Days a workspace keeps feedback (by when it was given), 30 to 3,650. Fewer than 30 would
/// empty the month the digests and trends compare against; more than ten years is "for ever"
/// said another way, which is `None` where this is optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionDays(u16);

impl RetentionDays {
    pub const MIN: i64 = 30;
    pub const MAX: i64 = 3650;

    /// The value of the field `field`, or why it is refused (in the console's words).
    pub fn parse(field: &str, days: i64) -> Result<Self, FieldError> {
        if (Self::MIN..=Self::MAX).contains(&days) {
            Ok(Self(days as u16))
        } else {
            Err(FieldError::new(
                field,
                format!(
                    "保留天数须在 {} 到 {} 之间（留空表示一直保留）",
                    Self::MIN,
                    Self::MAX
                ),
            ))
        }
    }

    /// A stored value, trusted as written by [`RetentionDays::parse`]; one out of bounds
    /// (edited by hand) is clamped rather than acted on as written.
    pub fn from_stored(days: i32) -> Self {
        Self(i64::from(days).clamp(Self::MIN, Self::MAX) as u16)
    }

    pub fn days(self) -> u16 {
        self.0
    }

    pub fn duration(self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_inclusive_and_errors_name_the_field() {
        assert_eq!(RetentionDays::parse("/r", 30).unwrap().days(), 30);
        assert_eq!(RetentionDays::parse("/r", 3650).unwrap().days(), 3650);
        for bad in [29, 3651, 0, -1, i64::MAX] {
            assert_eq!(RetentionDays::parse("/r", bad).unwrap_err().field, "/r");
        }
        assert_eq!(RetentionDays::from_stored(5).days(), 30);
        assert_eq!(RetentionDays::from_stored(90).duration().num_days(), 90);
    }
}
