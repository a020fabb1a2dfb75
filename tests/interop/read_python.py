"""Usage: python3 read_python.py file FILE    -> JSON of dotenv_values(FILE)
          python3 read_python.py docs JSON    -> for each file text in the JSON array, written to
                                                 a file and read back: dotenv_values(FILE,
                                                 interpolate=False)
          python3 read_python.py posix JSON   -> for each string in the JSON array,
                                                 whether python-dotenv would interpolate it"""
import json
import sys

from dotenv import dotenv_values
from dotenv.variables import _posix_variable

mode, arg = sys.argv[1], sys.argv[2]
if mode == "file":
    out = dotenv_values(arg)
elif mode == "docs":
    import os
    import tempfile

    out = []
    with open(arg, encoding="utf-8") as f:
        docs = json.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, ".env")
        for doc in docs:
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(doc)
            out.append(dotenv_values(path, interpolate=False))
elif mode == "posix":
    with open(arg, encoding="utf-8") as f:
        out = [_posix_variable.search(v) is not None for v in json.load(f)]
else:
    raise SystemExit("mode must be file or posix")
sys.stdout.write(json.dumps(out))
