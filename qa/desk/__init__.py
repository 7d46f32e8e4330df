"""The official's desk: what the stored law asks of one body, and when (issue 19, tools 1 and 2).

- source.py: the documents and units in force on a date (`in_force` is the one test of force);
- reading.py: which bodies a sentence makes act (its subject), an article title's body;
- duties.py: Ai phải làm gì — every duty, power or prohibition of a body, classified;
- timeparse.py: time limits parsed to typed objects (fixed date, period, relative to a trigger);
- deadlines.py: Thời hạn — every time limit in force, with who must keep it.
All pure over `DeskDocument`s; the service reads them from the registry, the CLI and the UI render them.
"""
