"""Grading a class's notebooks: find the submissions, recognise each one's chapter, run
only its exercise cells with otter's test files in a limited child process, and write
a gradebook, feedback pages and JSON results.

Modules: ``chapters`` (what each chapter's master defines: set-up, exercises, points,
otter test files), ``submissions`` (files, folders and LMS zips), ``notebooks``
(reading a submission and recognising its chapter), ``sandbox`` (the limited child
process), ``runner`` (what runs inside it), ``reports`` (CSV, HTML, JSON),
``grade`` (the whole batch) and ``bundles`` (``seqbook assign``).
"""
