"""Instructor tooling, which students do not need: making the student notebooks
(``lessons``), the bundles of ``seqbook assign`` (``bundles``), and grading a class
(``seqbook grade``): find the submissions, recognise each one's chapter, run otter's
test files in a grader process against its exercise cells in a limited child process,
and write a gradebook, feedback pages and JSON results.

Modules: ``masters`` (the one reader of otter's master format), ``chapters`` (what
each chapter's master defines: set-up, exercises, points, otter test files),
``submissions`` (files, folders and LMS zips), ``notebooks`` (reading a submission and
recognising its chapter), ``sandbox`` (the grader processes and the limited student's
processes) with ``syscalls`` (the kernel's limits), ``runner`` (what a grader process
does), ``proxy`` and ``student`` (the grader's and the student's side of a student's
process), ``wire`` and ``link`` (plain data and messages between them), ``reports`` (CSV, HTML,
JSON), ``grade`` (the whole batch), ``lessons``
(student notebooks made with otter assign), ``bundles`` (``seqbook assign``) and
``cli`` (the ``seqbook`` command).
"""
