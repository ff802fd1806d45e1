"""Demo step: placeholder replaced when lacv.calculus lands."""
