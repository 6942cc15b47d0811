"""FKS GitOps toolchain: render, validate, seal and promote the trading platform's environments."""
