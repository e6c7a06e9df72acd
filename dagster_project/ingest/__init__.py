"""Generic ingestion: one mechanism, driven by the extract contracts, for all 17 extracts."""
