"""Analytics: metrics, campaigns, the researchers' DataFrames and the Parquet dataset export."""
