"""Claims: the reviewed claims file, the claim registry the scorer matches against, case claims, backfill."""
