"""``ingress2gw verify``: replay requests through the source controller's semantics and through the generated
Gateway API routes, and report every difference (docs/verify.md). The CLI entry point is
``ingress2gw.verify.command.run_verify``."""
