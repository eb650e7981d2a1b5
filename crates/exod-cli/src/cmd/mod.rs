//! One module per subcommand.
pub mod bayes;
pub mod bench;
pub mod demo;
pub mod detect;
pub mod info;
pub mod simulate;
