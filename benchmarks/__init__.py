"""Side-by-side benchmarks of lacv against its peers; run with ``make bench``."""
