"""Long recordings: speech detection, pieces, batching, stitching, merging, speaker linking."""
