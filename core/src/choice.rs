//! One definition for every "pick one of these words" parameter (`--op`, `--method`, `--sketch`, …): the
//! enum, its serde names, `ALL`, `name()`, `Display` and a `FromStr` whose error lists the choices — so the
//! CLI, the UI, JSON and the docs use one name per idea.

/// `choice! { /// doc  pub enum Name("param") { Variant => "word", … } }`
#[macro_export]
macro_rules! choice {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($param:literal) {
            $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every choice, in the order the UI lists them.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            /// Every choice's word, in the order of [`Self::ALL`] (a lab field's accepted words).
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The word used by the CLI, the UI, JSON and the docs.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::error::Error;
            fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
                Self::ALL.into_iter().find(|c| c.name() == s).ok_or_else(|| $crate::error::Error::UnknownChoice {
                    name: $param,
                    value: s.to_owned(),
                    choices: [$($text),+].join(", "),
                })
            }
        }
    };
}
