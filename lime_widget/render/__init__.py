"""Drawing: matplotlib figures, the weight overlay, the view state and the offline HTML file."""
