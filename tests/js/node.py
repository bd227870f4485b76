"""Call the explorers' JavaScript under Node from a test: ``call_js(scripts, calls)``."""

import json
import shutil
import subprocess

import pytest

from seqbook.views import live

RUNNER = __file__.replace("node.py", "run.js")


def call_js(scripts, calls):
    """Load core.js and ``scripts`` (files of seqbook/views/js), run each
    ``(function_name, args)`` of ``calls`` and return their results, parsed from JSON.

    ``function_name`` is a path under the ``seqbook`` namespace, e.g.
    ``"rnn.repeatedMultiply"``; ``args`` is a list of JSON-able values (numpy arrays are
    turned into lists)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed for the JavaScript parity tests: install nodejs")
    files = [str(live.JS_FOLDER / name) for name in ("core.js", *scripts)]
    request = {"files": files,
               "calls": [{"function": name, "args": live._plain(list(args))}
                         for name, args in calls]}
    finished = subprocess.run([node, RUNNER], input=json.dumps(request), text=True,
                              capture_output=True, timeout=120)
    if finished.returncode != 0:
        pytest.fail(f"node failed:\n{finished.stderr}")
    return json.loads(finished.stdout)
