"""What an analyst reads back: the HTML evidence report and the coverage audit."""
