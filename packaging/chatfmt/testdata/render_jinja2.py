"""Reference chat-template renderer: Jinja2 set up as transformers'
apply_chat_template does (formats.md 8b). Reads a JSON list of jobs
{"template": text, "conversation": object, "vars": {...}} on stdin and
writes a JSON list of {"text": ...} or {"raised": msg} or {"error": msg}."""
import json
import sys

from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


class Raised(Exception):
    pass


def raise_exception(message):
    raise Raised(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env


def main():
    env = environment()
    out = []
    compiled = {}
    for job in json.load(sys.stdin):
        try:
            if job["template"] not in compiled:
                compiled[job["template"]] = env.from_string(job["template"])
            tmpl = compiled[job["template"]]
            kwargs = dict(job["conversation"])
            kwargs.update(job["vars"])
            out.append({"text": tmpl.render(**kwargs)})
        except Raised as e:
            out.append({"raised": str(e)})
        except Exception as e:  # noqa: BLE001 - reported to the Go test
            out.append({"error": "%s: %s" % (type(e).__name__, e)})
    json.dump(out, sys.stdout, ensure_ascii=False)


main()
