"""Quality measured on labelled data that others wrote, through the real pipeline.

* ``stories`` - story folding: pairwise precision and recall (``aggregator eval stories``).
* ``attribution`` - the credited origin per language (``aggregator eval attribution``).

Both read a JSON Lines file of the shared evaluation format by path and never copy it.
"""
