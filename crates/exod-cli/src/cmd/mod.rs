//! One module per subcommand.
pub mod bayes;
