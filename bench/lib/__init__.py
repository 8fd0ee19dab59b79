"""What the benchmarks share: the figure format, process statistics, test clients, pages."""
