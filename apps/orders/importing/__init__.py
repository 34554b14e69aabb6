"""Reading retail order logs (CSV, gzipped CSV, XLSX) into orders, lines, products and customers."""
