//! One module per subcommand.
pub mod bayes;
pub mod demo;
pub mod detect;
pub mod info;
pub mod simulate;
