"""Benchmarks of aecourse against Keras, the book's TF1 code and the machine's limit."""
