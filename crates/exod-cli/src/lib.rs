//! The library behind the `exod` command: one module per subcommand under [`cmd`], the staging
//! folders outputs are written through ([`staging`]) and the signal handling that removes them
//! ([`signals`]). The binary (`src/main.rs`) only parses the command line and calls these; the
//! Python package (`crates/exod-py`) calls the same functions, so there is one copy of the
//! pipeline (detection, batch units, catalogue).

pub mod cmd;
pub mod signals;
pub mod staging;
