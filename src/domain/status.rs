//! The states and cadences things move through, typed: a survey (active, closed, archived), a
//! delivery (pending, sent, failed, cancelled, unconfirmed) and a digest subscription's frequency. Stored
//! and shown by their names.

/// Declares an enum whose values are stored and shown as fixed names.
macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in the order they are documented.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum! {
    /// Whether a survey takes responses.
    SurveyStatus {
        Active => "active",
        Closed => "closed",
        /// Hidden from lists and public endpoints.
        Archived => "archived",
    }
}

named_enum! {
    /// Where a digest or alert delivery stands.
    DeliveryStatus {
        Pending => "pending",
        Sent => "sent",
        Failed => "failed",
        /// The subscription ended before the delivery went out.
        Cancelled => "cancelled",
        /// A group robot's message was handed over, and then the process stopped before the
        /// robot's answer was recorded: it may or may not have arrived, and it is not sent
        /// again (robots cannot recognise a repeat). See docs/design.md.
        Unconfirmed => "unconfirmed",
    }
}

named_enum! {
    /// How often a subscription receives the digest.
    Frequency {
        Weekly => "weekly",
        Daily => "daily",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for s in SurveyStatus::ALL {
            assert_eq!(SurveyStatus::parse(s.as_str()), Some(*s));
        }
        for s in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::parse(&s.to_string()), Some(*s));
        }
        assert_eq!(Frequency::parse("daily"), Some(Frequency::Daily));
        assert_eq!(Frequency::parse("monthly"), None);
    }
}
